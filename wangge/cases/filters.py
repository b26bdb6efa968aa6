"""The case list's filters, one definition for the queue page, its Excel export and `GET /api/cases`."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from wangge.cases import services as cases
from wangge.cases.figures import Period
from wangge.cases.models import Case
from wangge.core.filters import matching
from wangge.grids import services as grids

S = Case.Status
TABS = [
    ("reported", _("待受理"), Q(status=S.REPORTED, follows_first=False)),
    ("accepted", _("待派遣"), Q(status=S.ACCEPTED, follows_first=False)),
    ("dispatched", _("办理中"), Q(status=S.DISPATCHED)),
    ("handled", _("待核查"), Q(status=S.HANDLED)),
    ("overdue", _("已超时"), cases.OPEN_NOW & Q(overdue=True)),
    ("escalated", _("已升级"), cases.OPEN_NOW & Q(escalation_level__gt=0)),
    ("suspended", _("挂起"), Q(status=S.SUSPENDED)),
    ("supervised", _("督办"), cases.OPEN_NOW & Q(supervised=True)),
    ("closed", _("已办结"), Q(status__in=[S.CLOSED, S.REJECTED])),
    ("all", _("全部"), Q()),
]


class CaseFilter(df.FilterSet):
    tab = df.ChoiceFilter(label=_("分类"), choices=[(k, label) for k, label, _q in TABS], method="by_tab")
    q = df.CharFilter(label=_("搜索"), method="by_text")
    category = df.CharFilter(label=_("事件类别"), method="by_category")
    channel = df.ChoiceFilter(label=_("来源"), choices=Case.Channel.choices)
    status = df.ChoiceFilter(label=_("状态"), choices=Case.Status.choices)
    mine = df.BooleanFilter(label=_("只看派给本部门的"), widget=forms.CheckboxInput, method="by_department")
    grid = df.CharFilter(label=_("网格"), method="by_grid")
    since = df.DateFilter(label=_("上报日期起"), method="by_since")

    class Meta:
        model = Case
        fields: list[str] = []

    def by_tab(self, qs: QuerySet[Case], _name: str, key: str) -> QuerySet[Case]:
        return qs.filter(next((q for k, _label, q in TABS if k == key), Q()))

    def by_text(self, qs: QuerySet[Case], _name: str, text: str) -> QuerySet[Case]:
        return matching(
            qs, text, "code__iexact", "hotline_number", "description__icontains", "address__icontains"
        )

    def by_category(self, qs: QuerySet[Case], _name: str, key: str) -> QuerySet[Case]:
        """A category or every category under a group."""
        return qs.filter(Q(category__key=key) | Q(category__parent__key=key))

    def by_grid(self, qs: QuerySet[Case], _name: str, code: str) -> QuerySet[Case]:
        """A grid's subtree, by code: the list is already the user's, so another's grid finds nothing."""
        return qs.filter(grids.subtree_q_of_code(code, prefix="grid__"))

    def by_since(self, qs: QuerySet[Case], _name: str, day) -> QuerySet[Case]:
        return qs.filter(created__gte=Period(day, day).bounds[0])

    def by_department(self, qs: QuerySet[Case], _name: str, mine: bool) -> QuerySet[Case]:
        user = getattr(self.request, "user", None)
        if mine and user is not None and user.department_id:
            return qs.filter(handler_department_id=user.department_id)
        return qs


def in_queue_order(qs: QuerySet[Case], tab: str) -> QuerySet[Case]:
    """Open work by its stage deadline, closed and mixed lists newest first."""
    return qs.order_by("stage_due_at" if tab not in ("closed", "all") else "-created", "pk")
