"""The case pages' forms: what a page sends, parsed in one place before the verb (services check the
domain's rules and say what is missing)."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import Department
from wangge.cases import services as cases
from wangge.core.forms import YesNoField
from wangge.grids.models import Grid

NUMBER_ERRORS = {"invalid": _("坐标应为数字")}


class ReportForm(forms.Form):
    """A report from the resident's page, 随手拍 or a staff page (one intake: `services.report`)."""

    category = forms.CharField(required=False)
    description = forms.CharField(required=False)
    lon = forms.FloatField(required=False, error_messages=NUMBER_ERRORS)
    lat = forms.FloatField(required=False, error_messages=NUMBER_ERRORS)
    crs = forms.CharField(required=False)
    address = forms.CharField(required=False)
    reporter_name = forms.CharField(required=False)
    reporter_phone = forms.CharField(required=False)
    client_id = forms.CharField(required=False)
    on_spot = forms.BooleanField(required=False)

    def attributes(self) -> dict:
        """The category's questions, `attribute[<code>]` each; a multiple choice sends several."""
        out: dict = {}
        for key in self.data:
            if key.startswith("attribute["):
                values = self.data.getlist(key)
                out[key[10:-1]] = values if len(values) > 1 else values[0]
        return out

    def report_in(self, *, channel: str, grid: Grid | None) -> cases.ReportIn:
        d = self.cleaned_data
        return cases.ReportIn(
            category=d["category"],
            description=d["description"],
            lon=d["lon"],
            lat=d["lat"],
            crs=d["crs"] or "wgs84",
            address=d["address"],
            reporter_name=d["reporter_name"],
            reporter_phone=d["reporter_phone"],
            attributes=self.attributes(),
            client_id=d["client_id"][:64],
            channel=channel,
            on_spot=d["on_spot"],
            grid_code=grid.code if grid else "",
        )


class StepForm(forms.Form):
    """One workflow step from the case page (`services.perform` says what a step still needs)."""

    comment = forms.CharField(required=False)
    reason = forms.CharField(required=False)
    to = forms.CharField(required=False)  # "grid:<id>" or "department:<id>"
    until = forms.CharField(required=False)
    of = forms.CharField(required=False)  # another case's code
    lon = forms.FloatField(required=False, error_messages=NUMBER_ERRORS)
    lat = forms.FloatField(required=False, error_messages=NUMBER_ERRORS)
    crs = forms.CharField(required=False)

    def clean_until(self) -> datetime | None:
        raw = self.cleaned_data["until"]
        try:
            return timezone.make_aware(datetime.fromisoformat(raw)) if raw else None
        except ValueError:
            return None  # perform() says the step needs a day

    def step_in(self, user, files) -> cases.StepIn:
        """The step, its targets looked up: a case only within the user's jurisdiction (else 404)."""
        d = self.cleaned_data
        kind, _sep, pk = d["to"].partition(":")
        return cases.StepIn(
            comment=d["comment"],
            reason=d["reason"],
            to_grid=get_object_or_404(Grid, pk=pk) if kind == "grid" else None,
            to_department=get_object_or_404(Department, pk=pk) if kind == "department" else None,
            until=d["until"],
            of=cases.get_case_or_404(user, d["of"].strip()) if d["of"].strip() else None,
            lon=d["lon"],
            lat=d["lat"],
            crs=d["crs"] or "wgs84",
            photos=tuple(files.getlist("photos")),
        )


class RatingForm(forms.Form):
    rating = forms.CharField(required=False)
    comment = forms.CharField(required=False)


class FollowForm(forms.Form):
    """ "The same as mine": a nearby case's signed reference and the reporter's phone."""

    ref = forms.CharField(required=False)
    reporter_phone = forms.CharField(required=False)


class HotlineImportForm(forms.Form):
    file = forms.FileField(error_messages={"required": _("请选择要导入的 Excel 文件")})
    keep_good = forms.BooleanField(required=False)
    errors_file = forms.BooleanField(required=False)


class CalendarDayForm(forms.Form):
    """A day of the working calendar corrected by hand (or the year seeded from the holidays package)."""

    seed = forms.BooleanField(required=False)
    day = forms.DateField(required=False, error_messages={"invalid": _("请填写日期（如 2027-02-06）")})
    is_workday = YesNoField()
    name = forms.CharField(required=False)
    delete = forms.BooleanField(required=False)

    def clean(self):
        d = super().clean()
        if not d.get("seed") and d.get("day") is None and "day" not in self.errors:
            self.add_error("day", forms.ValidationError(_("请填写日期（如 2027-02-06）"), code="required"))
        d["name"] = (d.get("name") or "")[:64]
        return d


class FigureScopeForm(forms.Form):
    """What a figures page counts: a period (this month by default; a day that is not one is left out)
    and a grid's subtree (by code; the user's jurisdiction is checked where the grid is looked up)."""

    start = forms.DateField(required=False)
    end = forms.DateField(required=False)
    grid = forms.CharField(required=False)
    leave_out_suspended = forms.BooleanField(required=False)

    def __init__(self, data=None, *args, **kwargs):
        # the page's query says from/to (Python keywords here)
        if data is not None:
            data = {({"from": "start", "to": "end"}.get(k, k)): v for k, v in data.items()}
        super().__init__(data, *args, **kwargs)

    def period(self) -> tuple:
        today = timezone.localdate()
        self.is_valid()  # a field that is not a day is left at its default
        start = self.cleaned_data.get("start") or today.replace(day=1)
        end = self.cleaned_data.get("end") or today
        return (end, start) if end < start else (start, end)
