from django.core.paginator import Paginator


def paginate(request, qs, per_page: int = 50):
    """A page of results, and the query string without `page` for the page links."""
    paginator = Paginator(qs, per_page)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()
