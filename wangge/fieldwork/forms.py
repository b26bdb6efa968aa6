"""The field-work pages' forms: what a page sends, parsed and checked in one place before the verb.

The verbs (services.py) check the domain's rules; these check the shape (dates, numbers, a grid within
the user's jurisdiction) and say in Chinese which field is wrong."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wangge.accounts import services as accounts
from wangge.core import dates
from wangge.core.errors import flat
from wangge.core.forms import IdListField, ListField
from wangge.fieldwork import services
from wangge.fieldwork.models import Mode
from wangge.grids.models import Grid

DATE_ERRORS = {"invalid": _("日期格式应为 2026-01-31")}


class VisibleGridField(forms.ModelChoiceField):
    """A grid within the user's jurisdiction, by its id; any other is refused as outside it."""

    def __init__(self, *, message, max_depth: int | None = None, **kwargs):
        messages = {"invalid_choice": message, "required": message}
        super().__init__(queryset=Grid.objects.none(), error_messages=messages, **kwargs)
        self.max_depth = max_depth

    def limit_to(self, user) -> None:
        qs = accounts.visible(Grid.objects.all(), user, grid_field="")
        self.queryset = qs.filter(depth__lte=self.max_depth) if self.max_depth else qs

    def validate(self, value) -> None:
        try:
            super().validate(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages, code="outside") from exc


class UserForm(forms.Form):
    """A form some of whose choices depend on who fills it in."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, VisibleGridField):
                field.limit_to(user)


class VisitForm(forms.Form):
    client_id = forms.CharField(required=False)
    mode = forms.ChoiceField(choices=Mode.choices, required=False)
    visited_at = forms.CharField(required=False)
    notes = forms.CharField(required=False)
    lon = forms.FloatField(required=False)
    lat = forms.FloatField(required=False)
    crs = forms.CharField(required=False)
    case_code = forms.CharField(required=False)
    persons = IdListField(required=False)
    correction_person = forms.IntegerField(required=False)
    correction_field = forms.CharField(required=False)
    correction_value = forms.CharField(required=False)
    hazard_kind = forms.CharField(required=False)
    hazard_grade = forms.CharField(required=False)
    hazard_note = forms.CharField(required=False)
    problem_category = forms.CharField(required=False)
    problem_description = forms.CharField(required=False)

    def clean_visited_at(self):
        try:
            return dates.parse_datetime(self.cleaned_data["visited_at"], field="visited_at")
        except ValidationError as exc:
            raise ValidationError(flat(exc)) from exc

    def answers(self) -> dict[str, str]:
        """The checklist's answers, one `answer:<item>` input each (the items depend on the household)."""
        return {k[len("answer:") :]: v for k, v in self.data.items() if k.startswith("answer:")}

    def visit_in(self, household_id: int) -> services.VisitIn:
        d = self.cleaned_data
        return services.VisitIn(
            household=household_id,
            client_id=d["client_id"],
            mode=d["mode"] or Mode.IN_PERSON,
            visited_at=d["visited_at"],
            answers=self.answers(),
            notes=d["notes"],
            lon=d["lon"],
            lat=d["lat"],
            crs=d["crs"] or "wgs84",
            case_code=d["case_code"],
            persons=d["persons"],
            correction_person=d["correction_person"],
            correction_field=d["correction_field"],
            correction_value=d["correction_value"],
            hazard_kind=d["hazard_kind"],
            hazard_grade=d["hazard_grade"],
            hazard_note=d["hazard_note"],
            problem_category=d["problem_category"],
            problem_description=d["problem_description"],
        )


class CampaignForm(UserForm):
    name = forms.CharField(required=False)
    grid = VisibleGridField(message=_("请选择范围（您辖区内的网格）"))
    start = forms.DateField(error_messages=DATE_ERRORS)
    end = forms.DateField(error_messages=DATE_ERRORS)
    groups = ListField(required=False)
    residences = ListField(required=False)
    hazards = forms.BooleanField(required=False)
    checklist = forms.CharField(required=False)

    def clean_checklist(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["checklist"].splitlines()]


class PatrolPlanForm(UserForm):
    grid = VisibleGridField(message=_("请选择您辖区内的社区"), max_depth=3)
    planned_on = forms.DateField(error_messages=DATE_ERRORS)
    member_name = ListField(required=False)
    member_role = ListField(required=False)

    def members(self) -> list[dict]:
        names, roles = self.data.getlist("member_name"), self.data.getlist("member_role")
        return [{"name": n, "role": r} for n, r in zip(names, roles, strict=False)]


class PatrolFindingForm(forms.Form):
    item = forms.CharField(required=False)  # "area|item", as the checklist's select sends it
    description = forms.CharField(required=False)
    handling = forms.CharField(required=False)
    place = forms.CharField(required=False)
    category = forms.CharField(required=False)
    department = forms.CharField(required=False)
    client_id = forms.CharField(required=False)

    def finding(self) -> dict:
        d = dict(self.cleaned_data)
        d["area"], _sep, d["item"] = d["item"].partition("|")
        d["client_id"] = d["client_id"] or uuid.uuid4().hex
        return d


class ServiceForm(forms.Form):
    kind = forms.CharField(required=False)
    mode = forms.CharField(required=False)
    note = forms.CharField(required=False)
    client_id = forms.CharField(required=False)


class ServiceStepForm(forms.Form):
    action = forms.ChoiceField(choices=[("step", "step"), ("finish", "finish")], required=False)
    state = forms.CharField(required=False)
    result = forms.CharField(required=False)
    note = forms.CharField(required=False)
