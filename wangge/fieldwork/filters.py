"""The field-work lists' filters, one definition for each page, its Excel export and the API."""

from __future__ import annotations

import django_filters as df
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from wangge.fieldwork.models import Mode, ServiceRecord, Visit


class VisitFilter(df.FilterSet):
    q = df.CharFilter(label=_("搜索"), method="by_text")
    mode = df.ChoiceFilter(label=_("方式"), choices=Mode.choices)
    household = df.NumberFilter(label=_("户"), field_name="household_id")
    start = df.DateFilter(label=_("从"), field_name="visited_at", lookup_expr="date__gte")
    end = df.DateFilter(label=_("到"), field_name="visited_at", lookup_expr="date__lte")

    class Meta:
        model = Visit
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        # the page's query says from/to (Python keywords here)
        if data is not None:
            data = {({"from": "start", "to": "end"}.get(k, k)): v for k, v in data.items()}
        super().__init__(data, *args, **kwargs)

    def by_text(self, qs: QuerySet[Visit], _name: str, text: str) -> QuerySet[Visit]:
        text = text.strip()
        if not text:
            return qs
        return qs.filter(
            Q(household__number__icontains=text)
            | Q(household__house__address__icontains=text)
            | Q(worker__full_name__icontains=text)
            | Q(notes__icontains=text)
        )


class ServiceFilter(df.FilterSet):
    q = df.CharFilter(label=_("搜索"), method="by_text")
    state = df.ChoiceFilter(label=_("状态"), choices=ServiceRecord.State.choices)
    kind = df.CharFilter(label=_("事项"))

    class Meta:
        model = ServiceRecord
        fields: list[str] = []

    def by_text(self, qs: QuerySet[ServiceRecord], _name: str, text: str) -> QuerySet[ServiceRecord]:
        text = text.strip()
        if not text:
            return qs
        return qs.filter(
            Q(person__name__icontains=text) | Q(kind__icontains=text) | Q(result__icontains=text)
        )
