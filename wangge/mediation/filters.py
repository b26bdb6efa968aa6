"""The dispute list's filters, one definition for the page, its Excel export and the API."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from wangge.core.filters import matching
from wangge.grids import services as grids
from wangge.mediation import services
from wangge.mediation.models import Dispute
from wangge.mediation.services import OUTSTANDING


class DisputeFilter(df.FilterSet):
    q = df.CharFilter(label=_("搜索"), method="by_text")
    status = df.ChoiceFilter(label=_("状态"), choices=Dispute.Status.choices)
    kind = df.CharFilter(label=_("纠纷类型"), field_name="kind__key")
    follow_up = df.BooleanFilter(label=_("待回访"), widget=forms.CheckboxInput, method="by_follow_up")
    outstanding = df.BooleanFilter(label=_("未化解"), widget=forms.CheckboxInput, method="by_outstanding")
    grid = df.CharFilter(label=_("网格"), method="by_grid")

    class Meta:
        model = Dispute
        fields: list[str] = []

    def by_outstanding(self, qs: QuerySet[Dispute], _name: str, on: bool) -> QuerySet[Dispute]:
        return qs.filter(status__in=OUTSTANDING) if on else qs

    def by_grid(self, qs: QuerySet[Dispute], _name: str, code: str) -> QuerySet[Dispute]:
        return qs.filter(grids.subtree_q_of_code(code, prefix="grid__"))

    def by_text(self, qs: QuerySet[Dispute], _name: str, text: str) -> QuerySet[Dispute]:
        return matching(qs, text, "summary__icontains", "place__icontains", "mediator__icontains")

    def by_follow_up(self, qs: QuerySet[Dispute], _name: str, due: bool) -> QuerySet[Dispute]:
        """Closed with an agreement whose follow-up visit is due."""
        if not due:
            return qs
        return qs.filter(pk__in=services.follow_ups_due(self.request.user).values("pk"))
