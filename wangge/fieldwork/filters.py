"""The field-work lists' filters, one definition for each page, its Excel export and the API."""

from __future__ import annotations

import django_filters as df
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from wangge.core.filters import matching
from wangge.fieldwork.models import Mode, ServiceRecord, Visit
from wangge.grids import services as grids


class VisitFilter(df.FilterSet):
    q = df.CharFilter(label=_("搜索"), method="by_text")
    mode = df.ChoiceFilter(label=_("方式"), choices=Mode.choices)
    household = df.NumberFilter(label=_("户"), field_name="household_id")
    start = df.DateFilter(label=_("从"), field_name="visited_at", lookup_expr="date__gte")
    end = df.DateFilter(label=_("到"), field_name="visited_at", lookup_expr="date__lte")
    grid = df.CharFilter(label=_("网格"), method="by_grid")

    class Meta:
        model = Visit
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        # the page's query says from/to (Python keywords here)
        if data is not None:
            data = {({"from": "start", "to": "end"}.get(k, k)): v for k, v in data.items()}
        super().__init__(data, *args, **kwargs)

    def by_grid(self, qs: QuerySet[Visit], _name: str, code: str) -> QuerySet[Visit]:
        """A grid's subtree, by code (the list is already the user's: another's grid finds nothing)."""
        return qs.filter(grids.subtree_q_of_code(code, prefix="grid__"))

    def by_text(self, qs: QuerySet[Visit], _name: str, text: str) -> QuerySet[Visit]:
        return matching(
            qs,
            text,
            "household__number__icontains",
            "household__house__address__icontains",
            "worker__full_name__icontains",
            "notes__icontains",
        )


class ServiceFilter(df.FilterSet):
    q = df.CharFilter(label=_("搜索"), method="by_text")
    state = df.ChoiceFilter(label=_("状态"), choices=ServiceRecord.State.choices)
    kind = df.CharFilter(label=_("事项"))

    class Meta:
        model = ServiceRecord
        fields: list[str] = []

    def by_text(self, qs: QuerySet[ServiceRecord], _name: str, text: str) -> QuerySet[ServiceRecord]:
        return matching(qs, text, "person__name__icontains", "kind__icontains", "result__icontains")
