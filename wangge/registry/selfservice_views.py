"""Phone pages for residents (their own household) and the worker's confirmation list."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from wangge.core.forms import add_service_errors
from wangge.registry import permissions as perms
from wangge.registry import selfservice


class MemberForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=64)
    phone = forms.CharField(label=gettext_lazy("手机号"), max_length=20, required=False)
    address = forms.CharField(label=gettext_lazy("现住址"), max_length=255, required=False)
    education = forms.CharField(label=gettext_lazy("文化程度"), max_length=32, required=False)
    occupation = forms.CharField(label=gettext_lazy("职业"), max_length=64, required=False)
    employer = forms.CharField(label=gettext_lazy("工作单位"), max_length=128, required=False)
    chronic_illness = forms.CharField(label=gettext_lazy("慢性病"), max_length=128, required=False)
    client_id = forms.CharField(widget=forms.HiddenInput, required=False)


class NewMemberForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=64)
    id_number = forms.CharField(label=gettext_lazy("身份证号"), max_length=32, required=False)
    relation = forms.ChoiceField(
        label=gettext_lazy("与户主关系"),
        choices=[
            ("spouse", gettext_lazy("配偶")),
            ("child", gettext_lazy("子女")),
            ("parent", gettext_lazy("父母")),
            ("grandchild", gettext_lazy("孙子女")),
            ("sibling", gettext_lazy("兄弟姐妹")),
            ("other", gettext_lazy("其他")),
        ],
    )
    phone = forms.CharField(label=gettext_lazy("手机号"), max_length=20, required=False)
    occupation = forms.CharField(label=gettext_lazy("职业"), max_length=64, required=False)
    client_id = forms.CharField(widget=forms.HiddenInput, required=False)


@login_required
@require_http_methods(["GET", "POST"])
def my_household(request, person_id: int | None = None):
    household = selfservice.household_of_resident(request.user)
    if household is None:
        if person_id:
            raise Http404
        return render(request, "registry/me.html", {"household": None})
    person = get_object_or_404(household.members, pk=person_id) if person_id else None
    form_class = MemberForm if person else NewMemberForm
    initial = {f: getattr(person, f) for f in MemberForm.base_fields if hasattr(person, f)} if person else {}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "client_id"}
        try:
            selfservice.propose(
                household,
                by=request.user,
                person=person,
                values=values,
                client_id=form.cleaned_data["client_id"] or None,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已提交，网格员确认后生效。"))
            return redirect("registry:me")
    return render(
        request,
        "registry/me.html",
        {
            "household": household,
            "members": household.members.filter(status="active").order_by("-relation", "birth_date"),
            "person": person,
            "form": form,
            "proposals": household.proposals.filter(submitted_by=request.user)[:10],
        },
    )


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
def proposals(request):
    pending = list(selfservice.pending_for(request.user)[:100])
    rows = [(p, selfservice.difference(p)) for p in pending]
    return render(request, "registry/proposals.html", {"rows": rows})


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_POST
def decide(request, change_id: int):
    change = get_object_or_404(selfservice.pending_for(request.user), pk=change_id)
    try:
        selfservice.decide(
            change,
            accept=request.POST.get("accept") == "1",
            by=request.user,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已处理"))
    return redirect("registry:proposals")
