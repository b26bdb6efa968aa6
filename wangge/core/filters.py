"""One way to filter a list, for its page, its Excel export and its API route: a django-filter FilterSet.

Pages show a refused filter value beside the filter and list what the valid ones select; the API refuses
the request (422, with codes) through `rows`."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django_filters import FilterSet

from wangge.core.forms import refusal


def rows(filterset: FilterSet) -> QuerySet:
    """The rows the filters select, or a ValidationError naming each refused parameter."""
    if not filterset.is_valid():
        raise refusal(filterset.form)
    return filterset.qs


def without(data, *names: str) -> dict:
    """The query's parameters less some (the counts on a list's tabs ignore the tab itself)."""
    return {k: v for k, v in data.items() if k not in names}


def matching(qs: QuerySet, text: str, *lookups: str) -> QuerySet:
    """The rows where any of the lookups (`field__icontains`, `code__iexact`, ...) matches the words
    typed into a list's search box; all rows when nothing was typed."""
    text = text.strip()
    if not text:
        return qs
    found = Q()
    for lookup in lookups:
        found |= Q(**{lookup: text})
    return qs.filter(found)
