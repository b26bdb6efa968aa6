from django.core.paginator import Paginator
from django.utils.functional import cached_property

# Rows a list counts for its pages and tabs; a longer list reads "10000+" and pages through its first
# 10,000 (the search narrows it). Counting a town's million closed cases for every page took 244 ms on
# PostgreSQL, measured.
COUNT_CAP = 10_000


def count_capped(qs) -> int:
    """How many rows, counting no further than one past the cap."""
    if not hasattr(qs, "query"):
        return len(qs)
    # ids only and unordered: the count reads an index and sorts nothing
    return qs.order_by().values("pk")[: COUNT_CAP + 1].count()


def shown_count(n: int | None) -> str | int | None:
    """A capped count as a page shows it: "10000+" past the cap."""
    return f"{COUNT_CAP}+" if n is not None and n > COUNT_CAP else n


class CappedPaginator(Paginator):
    @cached_property
    def counted(self) -> int:
        return count_capped(self.object_list)

    @cached_property
    def count(self) -> int:
        return min(self.counted, COUNT_CAP)

    @property
    def more(self) -> bool:
        return self.counted > COUNT_CAP

    @property
    def shown_count(self) -> str:
        return f"{self.count}+" if self.more else str(self.count)


def paginate(request, qs, per_page: int = 50):
    """A page of results, and the query string without `page` for the page links."""
    paginator = CappedPaginator(qs, per_page)
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
