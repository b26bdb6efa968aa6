"""The mediation pages' forms: what a page sends, parsed and checked before the verb (services.py checks
the domain's rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.core.forms import YesNoField
from wangge.mediation import services

DATE_ERRORS = {"invalid": _("日期格式应为 2026-01-31")}


def _names(text: str, separators: str) -> list[str]:
    """A list typed into one box, separated by commas (either width) or the listed marks."""
    for mark in separators:
        text = text.replace(mark, ",")
    return text.split(",")


class DisputeForm(forms.Form):
    grid = forms.IntegerField(required=False)
    kind = forms.CharField(required=False)
    summary = forms.CharField(required=False)
    parties = forms.CharField(required=False)
    place = forms.CharField(required=False)
    risk = forms.CharField(required=False)
    found_on = forms.DateField(required=False, error_messages=DATE_ERRORS)
    mediator = forms.CharField(required=False)
    client_id = forms.CharField(required=False)
    party_id_numbers = forms.CharField(required=False)

    def dispute_in(self) -> services.DisputeIn:
        d = self.cleaned_data
        return services.DisputeIn(
            grid=d["grid"] or 0,
            kind=d["kind"],
            summary=d["summary"],
            parties=_names(d["parties"], "，、"),
            place=d["place"],
            risk=d["risk"] or "low",
            found_on=d["found_on"],
            mediator=d["mediator"],
            client_id=d["client_id"],
            party_id_numbers=_names(d["party_id_numbers"], "，"),
        )


class SessionForm(forms.Form):
    notes = forms.CharField(required=False)
    mediator = forms.CharField(required=False)
    held_on = forms.DateField(required=False, error_messages=DATE_ERRORS)


class SignForm(forms.Form):
    party = forms.CharField(required=False)
    drawn = forms.CharField(required=False)
    upload = forms.FileField(required=False)  # the page's input is named "photo"

    def __init__(self, data=None, files=None, **kwargs):
        super().__init__(data, {"upload": files.get("photo")} if files else None, **kwargs)


class FollowUpForm(forms.Form):
    kept = YesNoField(yes=_("协议已履行"), no=_("未履行"))  # the page's two radio buttons
    note = forms.CharField(required=False)
    on = forms.DateField(required=False, error_messages=DATE_ERRORS)

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and "visited_on" in data:  # the page's field for `on`
            data = data.copy()
            data["on"] = data["visited_on"]
        super().__init__(data, *args, **kwargs)


class EscalateForm(forms.Form):
    reason = forms.CharField(required=False)


class CloseForm(forms.Form):
    status = forms.CharField(required=False)
    outcome = forms.CharField(required=False)
    referred_to = forms.CharField(required=False)
    agreement = forms.CharField(required=False)


# each step on the dispute page: its form and its verb
STEPS = {
    "session": (SessionForm, services.add_session),
    "sign": (SignForm, services.sign),
    "follow_up": (FollowUpForm, services.follow_up),
    "escalate": (EscalateForm, services.escalate),
    "close": (CloseForm, services.close),
}
