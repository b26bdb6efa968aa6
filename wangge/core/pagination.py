from django.core.paginator import Paginator


def paginate(request, qs, per_page: int = 50):
    """A page of results, and the query string without `page` for the page links."""
    paginator = Paginator(qs, per_page)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


def api_page(qs, page: int, *, size: int = 50, out=None) -> dict:
    """One page of an API list: {"count", "page", "items"}. A page past the last is empty, without asking
    the database for an offset it cannot hold (page=10^17 overflowed SQLite's integer: a 500)."""
    count = qs.count()
    start = (max(page, 1) - 1) * size
    rows = list(qs[start : start + size]) if start < count else []
    return {"count": count, "page": page, "items": [out(r) for r in rows] if out else rows}
