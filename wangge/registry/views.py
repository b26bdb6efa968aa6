from datetime import date

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from wangge.audit import services as audit
from wangge.core import exports
from wangge.core.downloads import download
from wangge.core.excel import write_workbook
from wangge.core.forms import add_service_errors
from wangge.core.pagination import paginate
from wangge.core.pdf import PdfUnavailable, render_pdf
from wangge.core.replica import replica_ok
from wangge.grids import services as grids
from wangge.grids.jurisdiction import get_visible_grid_or_404, get_visible_or_404, top_grids
from wangge.grids.models import Grid
from wangge.registry import permissions as perms
from wangge.registry import services as registry
from wangge.registry.models import GroupMembership, Hazard, House, Household, Organisation, Person
from wangge.registry.validators import mask_address, mask_id, mask_phone


class PersonFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("姓名、地址、证件号或手机号"), required=False)
    group = forms.ChoiceField(label=gettext_lazy("人群类别"), required=False)
    hazard = forms.ChoiceField(
        label=gettext_lazy("房屋隐患"),
        required=False,
        choices=[("", gettext_lazy("不限"))] + list(Hazard.Kind.choices),
    )
    residence = forms.ChoiceField(
        label=gettext_lazy("户别"),
        required=False,
        choices=[("", gettext_lazy("不限"))] + list(Household.Residence.choices),
    )
    age_min = forms.IntegerField(label=gettext_lazy("年龄从"), required=False, min_value=0, max_value=130)
    age_max = forms.IntegerField(label=gettext_lazy("到"), required=False, min_value=0, max_value=130)
    grid = forms.CharField(label=gettext_lazy("网格编码"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("active", gettext_lazy("在册")), ("", gettext_lazy("全部"))],
    )
    on = forms.DateField(
        label=gettext_lazy("档案日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("查看某一天的档案"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("不限"))] + [
            (g.key, g.label) for g in registry.groups_for(user)
        ]

    def clean(self):
        d = super().clean()
        if d.get("age_min") is not None and d.get("age_max") is not None and d["age_min"] > d["age_max"]:
            self.add_error("age_max", _("年龄上限不能小于下限"))
        return d


class UnmaskForm(forms.Form):
    field = forms.ChoiceField(choices=[(k, v) for k, v in registry.PII_FIELDS.items()])
    reason = forms.CharField(label=gettext_lazy("查看原因"), max_length=200)


class PersonEditForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=64)
    phone = forms.CharField(label=gettext_lazy("手机号"), max_length=20, required=False)
    address = forms.CharField(label=gettext_lazy("现住址"), max_length=255, required=False)
    relation = forms.ChoiceField(label=gettext_lazy("与户主关系"), choices=Person.Relation.choices)
    education = forms.CharField(label=gettext_lazy("文化程度"), max_length=32, required=False)
    occupation = forms.CharField(label=gettext_lazy("职业"), max_length=64, required=False)
    employer = forms.CharField(label=gettext_lazy("工作单位"), max_length=128, required=False)
    chronic_illness = forms.CharField(label=gettext_lazy("慢性病"), max_length=128, required=False)
    disability_grade = forms.CharField(label=gettext_lazy("残疾等级"), max_length=8, required=False)
    political_status = forms.CharField(label=gettext_lazy("政治面貌"), max_length=16, required=False)


class PersonCreateForm(PersonEditForm):
    doc_type = forms.ChoiceField(label=gettext_lazy("证件类型"), choices=Person.DocType.choices)
    id_number = forms.CharField(label=gettext_lazy("证件号码"), max_length=32, required=False)
    client_id = forms.CharField(widget=forms.HiddenInput, required=False)


def _grid_or_none(user, code: str) -> Grid | None:
    if not code:
        return None
    return get_visible_grid_or_404(user, code)


def _filtered_persons(request):
    return filtered_persons(request.user, request.GET)


def filtered_persons(user, data):
    """The person list's query for these filters (the page's, an export's, a background export's)."""
    form = PersonFilter(data, user=user)
    if not form.is_valid():
        return form, registry.persons_for(user).none()
    d = form.cleaned_data
    qs = registry.search_persons(
        user,
        text=d.get("q") or "",
        group=d.get("group") or "",
        hazard=d.get("hazard") or "",
        residence=d.get("residence") or "",
        age_min=d.get("age_min"),
        age_max=d.get("age_max"),
        grid=_grid_or_none(user, d.get("grid") or ""),
        status=d.get("status") if "status" in data else Person.Status.ACTIVE,
        on=d.get("on"),
    )
    return form, qs.select_related("household__house").order_by("grid_id", "household_id", "pk")


@login_required
@permission_required(perms.VIEW_ARCHIVE, raise_exception=True)
@replica_ok
def person_list(request):
    form, qs = _filtered_persons(request)
    if request.GET.get("format") == "xlsx":
        return _persons_xlsx(request, qs)
    page, query = paginate(request, qs)
    return render(
        request,
        "registry/person_list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "can_unmask_export": request.user.has_perm(perms.EXPORT_UNMASKED),
        },
    )


ROSTER_COLUMNS = {
    "name": gettext_lazy("姓名"),
    "sex": gettext_lazy("性别"),
    "age": gettext_lazy("年龄"),
    "id_number": gettext_lazy("证件号码"),
    "phone": gettext_lazy("手机号"),
    "relation": gettext_lazy("与户主关系"),
    "household": gettext_lazy("户号"),
    "address": gettext_lazy("地址"),
    "grid": gettext_lazy("网格"),
    "groups": gettext_lazy("人群类别"),
    "occupation": gettext_lazy("职业"),
    "chronic_illness": gettext_lazy("慢性病"),
    "disability_grade": gettext_lazy("残疾等级"),
}
DEFAULT_COLUMNS = ["name", "sex", "age", "id_number", "phone", "household", "address", "groups"]
# the person's fields each column reads
ROSTER_FIELDS = {
    "name": ("name",),
    "sex": ("sex",),
    "age": ("birth_date",),
    "id_number": ("id_number",),
    "phone": ("phone",),
    "relation": ("relation",),
    "household": ("household__number",),
    "address": ("household__house__address", "address"),
    "grid": ("grid__name",),
    "groups": ("pk",),
    "occupation": ("occupation",),
    "chronic_illness": ("chronic_illness",),
    "disability_grade": ("disability_grade",),
}


def roster_rows(user, qs, columns: list[str], *, unmasked: bool):
    """Rows of the roster (花名册) and of list exports: masked unless asked and allowed."""
    on = registry.today()
    visible_groups = set(registry.groups_for(user).values_list("pk", flat=True))
    memberships: dict[int, list[str]] = {}
    if "groups" in columns:
        for pid, name in (
            GroupMembership.objects.filter(
                person__in=qs.values("pk"), group__in=visible_groups, start__lte=on
            )
            .filter(Q(end__isnull=True) | Q(end__gt=on))
            .values_list("person_id", "group__name")
        ):
            memberships.setdefault(pid, []).append(name)
    # plain rows, not model instances, and the choices' labels looked up once: 57,000 people took 13 s
    # through the models (their choices' labels alone 9 s), and only the columns asked for are decrypted
    sexes = {k: str(v) for k, v in Person.Sex.choices}
    relations = {k: str(v) for k, v in Person.Relation.choices}
    wanted = {"pk", "grid__name", *[f for c in columns for f in ROSTER_FIELDS[c]]}
    names = sorted(wanted)
    for row in qs.values_list(*names).iterator(chunk_size=2000):
        p = dict(zip(names, row, strict=True))
        yield [_roster_cell(c, p, on, unmasked, sexes, relations, memberships) for c in columns]


def _roster_cell(column: str, p: dict, on, unmasked: bool, sexes: dict, relations: dict, memberships: dict):
    """One cell of a roster row, from the person's plain values; personal data masked unless asked."""
    if column == "sex":
        return sexes.get(p["sex"], "")
    if column == "age":
        return registry.age_on(p["birth_date"], on) if p["birth_date"] else ""
    if column == "id_number":
        return p["id_number"] if unmasked else mask_id(p["id_number"])
    if column == "phone":
        return p["phone"] if unmasked else mask_phone(p["phone"])
    if column == "relation":
        return relations.get(p["relation"], "")
    if column == "household":
        return p["household__number"] or ""
    if column == "address":
        return p["household__house__address"] or (p["address"] if unmasked else mask_address(p["address"]))
    if column == "grid":
        return p["grid__name"]
    if column == "groups":
        return "、".join(memberships.get(p["pk"], []))
    return p[column]  # name, occupation, chronic illness, disability grade: as stored


def _persons_xlsx(request, qs):
    unmasked = request.GET.get("unmasked") == "1"
    if unmasked and not request.user.has_perm(perms.EXPORT_UNMASKED):
        raise PermissionDenied(perms.EXPORT_UNMASKED)
    columns = [c for c in request.GET.getlist("col") if c in ROSTER_COLUMNS] or DEFAULT_COLUMNS
    total = qs.count()
    audit.record(
        audit.Action.EXPORT,
        actor=request.user,
        object_type="registry.person",
        object_repr="人员名单",
        detail={"unmasked": unmasked, "rows": total, "filters": {k: v for k, v in request.GET.items()}},
    )
    if total > settings.EXPORT_INLINE_ROWS:  # a town's list: written in the background, with progress
        params = {k: request.GET.getlist(k) for k in request.GET}
        return redirect("export_job", exports.start(request.user, "persons", params).pk)
    data = write_workbook(
        [str(ROSTER_COLUMNS[c]) for c in columns],
        roster_rows(request.user, qs, columns, unmasked=unmasked),
        sheet="人员",
    )
    return download(data, "persons.xlsx")


def _query(params: dict) -> QueryDict:
    """A background export's saved GET parameters ({key: [values]}) as the request had them."""
    data = QueryDict(mutable=True)
    for key, values in params.items():
        data.setlist(key, values)
    return data


def persons_export(user, params: dict):
    """The person list's export in the background (core/exports.py): the same query and rows as the page's,
    for the user who asked (whose permission to see the columns unmasked is checked again here)."""
    data = _query(params)
    unmasked = data.get("unmasked") == "1" and user.has_perm(perms.EXPORT_UNMASKED)
    columns = [c for c in data.getlist("col") if c in ROSTER_COLUMNS] or DEFAULT_COLUMNS
    _form, qs = filtered_persons(user, data)
    headers = [str(ROSTER_COLUMNS[c]) for c in columns]
    return headers, roster_rows(user, qs, columns, unmasked=unmasked), qs.count(), "persons.xlsx"


@login_required
@permission_required(perms.VIEW_ARCHIVE, raise_exception=True)
def person_detail(request, person_id: int):
    person = get_visible_or_404(registry.persons_for(request.user), request.user, pk=person_id)
    return render(
        request,
        "registry/person_detail.html",
        {
            "person": person,
            "age": registry.age(person),
            "memberships": registry.active_memberships(person, request.user),
            "can_unmask": request.user.has_perm(perms.UNMASK),
            "can_edit": request.user.has_perm(perms.EDIT_ARCHIVE),
            "fields": registry.PII_FIELDS,
            "history": registry.history(person),
        },
    )


@login_required
@permission_required(perms.UNMASK, raise_exception=True)
@require_POST
def person_unmask(request, person_id: int):
    person = get_visible_or_404(registry.persons_for(request.user), request.user, pk=person_id)
    form = UnmaskForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("请填写查看原因"), status=422)
    try:
        value = registry.unmask(
            person, field=form.cleaned_data["field"], reason=form.cleaned_data["reason"], by=request.user
        )
    except ValidationError as exc:
        return HttpResponse("；".join(exc.messages), status=422)
    return render(request, "registry/person_detail.html#unmasked", {"value": value})


@login_required
@permission_required(perms.UNMASK, raise_exception=True)
@require_POST
def person_change_unmask(request, person_id: int, change_id: int):
    """One change of a personal field in full, from the person's history (audited)."""
    person = get_visible_or_404(registry.persons_for(request.user), request.user, pk=person_id)
    try:
        value = registry.unmask_change(
            person, change_id, reason=request.POST.get("reason", ""), by=request.user
        )
    except ValidationError as exc:
        return HttpResponse("；".join(exc.messages), status=422)
    return render(request, "registry/person_detail.html#unmasked", {"value": value})


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def person_edit(request, person_id: int):
    person = get_visible_or_404(registry.persons_for(request.user), request.user, pk=person_id)
    initial = {f: getattr(person, f) for f in registry.EDITABLE}
    form = PersonEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            registry.update_person(person, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect(person)
    return render(
        request,
        "registry/form.html",
        {"form": form, "title": _("修改人员信息"), "back": person.get_absolute_url()},
    )


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def person_create(request, household_id: int):
    household = get_visible_or_404(registry.households_for(request.user), request.user, pk=household_id)
    form = PersonCreateForm(request.POST or None, initial={"relation": "other"})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = registry.PersonIn(
            **{k: d[k] or "" for k in registry.EDITABLE if k in d},
            id_number=d["id_number"] or "",
            doc_type=d["doc_type"],
        )
        try:
            person = registry.register_person(
                data, household=household, client_id=d["client_id"] or None, by=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记 %(name)s") % {"name": person.name})
            return redirect(household)
    return render(
        request,
        "registry/form.html",
        {"form": form, "title": _("登记家庭成员"), "back": household.get_absolute_url()},
    )


@login_required
@permission_required(perms.VIEW_ARCHIVE, raise_exception=True)
def household_detail(request, household_id: int):
    hh = get_visible_or_404(registry.households_for(request.user), request.user, pk=household_id)
    members = hh.members.order_by("status", "-relation", "birth_date")
    hazards = hh.house.hazards.all() if hh.house else []
    return render(
        request,
        "registry/household_detail.html",
        {
            "hh": hh,
            "members": members,
            "history": hh.grid_history.select_related("grid"),
            "hazards": hazards,
            "can_edit": request.user.has_perm(perms.EDIT_ARCHIVE),
        },
    )


@login_required
@permission_required(perms.VIEW_ARCHIVE, raise_exception=True)
def household_list(request):
    qs = (
        registry.households_for(request.user)
        .filter(active=True)
        .annotate(n=Count("members", filter=Q(members__status=Person.Status.ACTIVE)))
    )
    grid = _grid_or_none(request.user, request.GET.get("grid", ""))
    if grid is not None:
        qs = qs.filter(grid__in=grids.subtree_ids(grid))
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(house__address__icontains=q) | Q(head__name__icontains=q))
    qs = qs.order_by("grid__path", "number")
    if request.GET.get("format") == "xlsx":
        rows = (
            [
                h.number,
                h.head.name if h.head else "",
                h.get_residence_display(),
                h.house.address if h.house else "",
                h.grid.name,
                h.n,
                mask_phone(h.phone),
            ]
            for h in qs
        )
        audit.record(
            audit.Action.EXPORT, actor=request.user, object_type="registry.household", object_repr="户列表"
        )
        return download(
            write_workbook(["户号", "户主", "户别", "地址", "网格", "人数", "联系电话"], rows, sheet="户"),
            "households.xlsx",
        )
    page, query = paginate(request, qs)
    return render(
        request, "registry/household_list.html", {"page": page, "query": query, "grid": grid, "q": q}
    )


@login_required
@permission_required(perms.VIEW_ARCHIVE, raise_exception=True)
def hazard_list(request):
    qs = registry.hazards_for(request.user)
    grid = _grid_or_none(request.user, request.GET.get("grid", ""))
    if grid is not None:
        qs = qs.filter(house__grid__in=grids.subtree_ids(grid))
    state = request.GET.get("state", "open")
    if state in Hazard.State.values:
        qs = qs.filter(state=state)
    kind = request.GET.get("kind", "")
    if kind:
        qs = qs.filter(kind=kind)
    qs = qs.order_by("-found_on", "pk")
    if request.GET.get("format") == "xlsx":
        rows = (
            [
                h.house.address,
                h.house.grid.name,
                h.get_kind_display(),
                h.grade,
                h.found_on.isoformat(),
                h.get_state_display(),
                h.fixed_on.isoformat() if h.fixed_on else "",
                h.fixed_by,
            ]
            for h in qs
        )
        audit.record(
            audit.Action.EXPORT, actor=request.user, object_type="registry.hazard", object_repr="隐患列表"
        )
        return download(
            write_workbook(
                ["地址", "网格", "隐患", "等级", "发现日期", "状态", "整改日期", "整改人"], rows, sheet="隐患"
            ),
            "hazards.xlsx",
        )
    page, query = paginate(request, qs)
    return render(
        request,
        "registry/hazard_list.html",
        {
            "page": page,
            "query": query,
            "grid": grid,
            "state": state,
            "kind": kind,
            "kinds": Hazard.Kind.choices,
            "can_edit": request.user.has_perm(perms.EDIT_ARCHIVE),
        },
    )


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_POST
def hazard_fix(request, hazard_id: int):
    hazard = get_visible_or_404(
        registry.hazards_for(request.user), request.user, grid_field="house__grid", pk=hazard_id
    )
    try:
        registry.fix_hazard(hazard, fixed_by=request.POST.get("fixed_by", ""), by=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已登记整改"))
    return redirect(request.POST.get("next") or "registry:hazard_list")


@login_required
@permission_required(perms.VIEW_ARCHIVE, raise_exception=True)
def grid_archive(request, code: str):
    """One grid, one archive: counts, special groups, open hazards, a map of buildings and hazards."""
    grid = get_visible_grid_or_404(request.user, code)
    ids = grids.subtree_ids(grid)
    persons = registry.persons_for(request.user).filter(grid__in=ids, status=Person.Status.ACTIVE)
    on = registry.today()
    counts = {
        "buildings": registry.buildings_for(request.user).filter(grid__in=ids).count(),
        "houses": registry.houses_for(request.user).filter(grid__in=ids).count(),
        "households": registry.households_for(request.user).filter(grid__in=ids, active=True).count(),
        "persons": persons.count(),
        "over_60": persons.filter(birth_date__lte=on.replace(year=on.year - 60)).count(),
        "organisations": registry.organisations_for(request.user).filter(grid__in=ids).count(),
    }
    hazards = registry.hazards_for(request.user).filter(house__grid__in=ids, state=Hazard.State.OPEN)
    return render(
        request,
        "registry/grid_archive.html",
        {
            "grid": grid,
            "counts": counts,
            "groups": registry.group_counts(request.user, grid),
            "hazards": hazards.order_by("-found_on")[:20],
            "hazard_count": hazards.count(),
            "children": grids.children(grid),
        },
    )


@login_required
@permission_required(perms.VIEW_ARCHIVE, raise_exception=True)
def grid_points(request, code: str):
    """Buildings and open hazards of a grid's subtree as GeoJSON points, for the archive map."""
    grid = get_visible_grid_or_404(request.user, code)
    ids = grids.subtree_ids(grid)
    features = []
    for b in registry.buildings_for(request.user).filter(grid__in=ids, lon__isnull=False)[:5000]:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [b.lon, b.lat]},
                "properties": {"kind": "building", "name": b.name, "address": b.address},
            }
        )
    hazards = registry.hazards_for(request.user).filter(
        house__grid__in=ids, state=Hazard.State.OPEN, house__lon__isnull=False
    )
    for h in hazards[:5000]:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [h.house.lon, h.house.lat]},
                "properties": {"kind": "hazard", "name": h.get_kind_display(), "address": h.house.address},
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})


@login_required
@permission_required(perms.VIEW_ARCHIVE, raise_exception=True)
def archive_home(request):
    root = top_grids(request.user).first()
    if root is None:
        messages.error(request, _("您还没有辖区网格，请联系管理员。"))
        return redirect("home")
    return redirect("registry:grid_archive", code=root.code)


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


class RosterForm(forms.Form):
    grid = forms.CharField(label=gettext_lazy("网格编码"))
    columns = forms.MultipleChoiceField(
        label=gettext_lazy("列"),
        choices=list(ROSTER_COLUMNS.items()),
        widget=forms.CheckboxSelectMultiple,
        initial=DEFAULT_COLUMNS,
    )
    group = forms.ChoiceField(label=gettext_lazy("人群类别"), required=False)
    format = forms.ChoiceField(
        label=gettext_lazy("格式"), choices=[("pdf", "PDF"), ("xlsx", "Excel")], initial="pdf"
    )
    unmasked = forms.BooleanField(label=gettext_lazy("不遮挡（需权限，记入审计）"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("全部人员"))] + [
            (g.key, g.label) for g in registry.groups_for(user)
        ]


@login_required
@permission_required(perms.VIEW_ARCHIVE, raise_exception=True)
def roster(request):
    """The printable roster (花名册) of a grid, as PDF or Excel, with the columns the user picks."""

    if not request.GET.get("columns"):  # the form first, with the usual roster's columns ticked
        initial = {"grid": request.GET.get("grid", ""), "columns": DEFAULT_COLUMNS}
        return render(
            request, "registry/roster_form.html", {"form": RosterForm(user=request.user, initial=initial)}
        )
    form = RosterForm(request.GET, user=request.user)
    if not form.is_valid():
        return render(request, "registry/roster_form.html", {"form": form})
    d = form.cleaned_data
    grid = _grid_or_none(request.user, d["grid"])
    if d["unmasked"] and not request.user.has_perm(perms.EXPORT_UNMASKED):
        raise PermissionDenied(perms.EXPORT_UNMASKED)
    qs = registry.search_persons(request.user, grid=grid, group=d["group"]).order_by(
        "grid__path", "household__number", "pk"
    )
    columns = [c for c in ROSTER_COLUMNS if c in d["columns"]]
    total = qs.count()
    audit.record(
        audit.Action.EXPORT,
        actor=request.user,
        obj=grid,
        object_repr=f"花名册 {grid.name if grid else ''}",
        detail={"format": d["format"], "unmasked": d["unmasked"], "rows": total, "columns": columns},
    )
    filename = f"roster-{grid.code if grid else 'all'}"
    if d["format"] == "xlsx":
        headers = [str(ROSTER_COLUMNS[c]) for c in columns]
        rows = roster_rows(request.user, qs, columns, unmasked=d["unmasked"])
        return download(write_workbook(headers, rows, sheet="花名册"), f"{filename}.xlsx")
    if total > ROSTER_PDF_INLINE_ROWS:  # a town's roster: the PDF is made in the background, with progress
        params = {k: request.GET.getlist(k) for k in request.GET}
        return redirect("export_job", exports.start(request.user, "roster_pdf", params).pk)
    try:
        pdf = _roster_pdf(request.user, grid, qs, columns, unmasked=d["unmasked"])
    except PdfUnavailable as exc:
        return render(request, "registry/roster_form.html", {"form": form, "pdf_error": str(exc)}, status=503)
    return download(pdf, f"{filename}.pdf", "application/pdf", inline=True)


ROSTER_PDF_INLINE_ROWS = 3000  # about 2 s of PDF; the town's 57,000 people took 41 s


def _roster_pdf(user, grid, qs, columns: list[str], *, unmasked: bool) -> bytes:
    rows = list(roster_rows(user, qs, columns, unmasked=unmasked))
    html = render_to_string("registry/roster_pdf.html", {
        "grid": grid, "headers": [str(ROSTER_COLUMNS[c]) for c in columns], "rows": rows,
        "today": registry.today(), "user": user, "unmasked": unmasked,
    })  # fmt: skip
    return render_pdf(html)


def roster_pdf_export(user, params: dict) -> tuple[bytes, int, str]:
    """The roster PDF in the background (core/exports.py), from the form's values, for the user who asked."""
    data = _query(params)
    form = RosterForm(data, user=user)
    if not form.is_valid():
        raise ValueError("；".join(m for ms in form.errors.values() for m in ms))
    d = form.cleaned_data
    grid = _grid_or_none(user, d["grid"])
    unmasked = d["unmasked"] and user.has_perm(perms.EXPORT_UNMASKED)
    qs = registry.search_persons(user, grid=grid, group=d["group"]).order_by(
        "grid__path", "household__number", "pk"
    )
    columns = [c for c in ROSTER_COLUMNS if c in d["columns"]]
    pdf = _roster_pdf(user, grid, qs, columns, unmasked=unmasked)
    return pdf, qs.count(), f"roster-{grid.code if grid else 'all'}.pdf"


@login_required
@permission_required(perms.VIEW_ARCHIVE, raise_exception=True)
def organisation_list(request):
    qs = registry.organisations_for(request.user)
    grid = _grid_or_none(request.user, request.GET.get("grid", ""))
    if grid is not None:
        qs = qs.filter(grid__in=grids.subtree_ids(grid))
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code=q.upper()) | Q(address__icontains=q))
    kind = request.GET.get("kind", "")
    if kind:
        qs = qs.filter(kind=kind)
    qs = qs.order_by("grid__path", "name")
    if request.GET.get("format") == "xlsx":
        rows = (
            [
                o.name,
                o.get_kind_display(),
                o.credit_code or "",
                o.contact,
                mask_phone(o.phone),
                o.address,
                o.grid.name,
            ]  # fmt: skip
            for o in qs
        )
        audit.record(
            audit.Action.EXPORT,
            actor=request.user,
            object_type="registry.organisation",
            object_repr="单位列表",
        )
        return download(
            write_workbook(
                ["名称", "类型", "统一社会信用代码", "联系人", "联系电话", "地址", "网格"], rows, sheet="单位"
            ),
            "organisations.xlsx",
        )
    page, query = paginate(request, qs)
    return render(
        request,
        "registry/organisation_list.html",
        {
            "page": page,
            "query": query,
            "grid": grid,
            "q": q,
            "kind": kind,
            "kinds": Organisation.Kind.choices,
        },
    )


class OrganisationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("名称"), max_length=128)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=Organisation.Kind.choices)
    credit_code = forms.CharField(label=gettext_lazy("统一社会信用代码"), max_length=18, required=False)
    contact = forms.CharField(label=gettext_lazy("联系人"), max_length=64, required=False)
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=gettext_lazy("地址"), max_length=255, required=False)
    lon = forms.FloatField(label=gettext_lazy("经度"), required=False)
    lat = forms.FloatField(label=gettext_lazy("纬度"), required=False)


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def organisation_create(request, code: str):
    grid = get_visible_grid_or_404(request.user, code)
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = registry.register_organisation(grid=grid, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记单位：%(n)s") % {"n": org.name})
            return redirect(f"{reverse('registry:organisation_list')}?grid={grid.code}")
    back = f"{reverse('registry:organisation_list')}?grid={grid.code}"
    title = _("登记单位 · %(g)s") % {"g": grid.name}
    return render(request, "registry/form.html", {"form": form, "title": title, "back": back})


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def organisation_edit(request, org_id: int):
    org = get_visible_or_404(registry.organisations_for(request.user), request.user, pk=org_id)
    initial = {f: getattr(org, f) for f in registry.ORGANISATION_FIELDS}
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            registry.update_organisation(org, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect(f"{reverse('registry:organisation_list')}?grid={org.grid.code}")
    back = f"{reverse('registry:organisation_list')}?grid={org.grid.code}"
    return render(request, "registry/form.html", {"form": form, "title": org.name, "back": back})


class HouseholdCreateForm(forms.Form):
    address = forms.CharField(label=gettext_lazy("地址"), max_length=255)
    use = forms.ChoiceField(label=gettext_lazy("房屋用途"), choices=[])
    residence = forms.ChoiceField(label=gettext_lazy("户别"), choices=Household.Residence.choices)
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=20, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["use"].choices = House.Use.choices


class HazardForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("隐患类型"), choices=Hazard.Kind.choices)
    grade = forms.CharField(
        label=gettext_lazy("危房等级"), max_length=1, required=False, help_text=gettext_lazy("危房须填 A–D")
    )
    found_on = forms.DateField(
        label=gettext_lazy("发现日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=gettext_lazy("说明"), max_length=255, required=False)


class MembershipForm(forms.Form):
    group = forms.ChoiceField(label=gettext_lazy("人群类别"))
    start = forms.DateField(
        label=gettext_lazy("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=gettext_lazy("说明"), max_length=255, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [(g.key, g.label) for g in registry.groups_for(user)]


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def household_create(request, code: str):
    grid = get_visible_grid_or_404(request.user, code)
    form = HouseholdCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                house = registry.create_house(grid=grid, address=d["address"], use=d["use"], by=request.user)
                hh = registry.create_household(
                    house=house, residence=d["residence"], phone=d["phone"], by=request.user
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已新建户 %(n)s，请登记家庭成员") % {"n": hh.number})
            return redirect("registry:person_create", household_id=hh.pk)
    return render(
        request,
        "registry/form.html",
        {"form": form, "title": _("新建户"), "back": reverse("registry:grid_archive", args=[grid.code])},
    )


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def hazard_create(request, household_id: int):
    hh = get_visible_or_404(registry.households_for(request.user), request.user, pk=household_id)
    form = HazardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if hh.house is None:
            form.add_error(None, _("该户没有登记房屋"))
        else:
            try:
                registry.mark_hazard(
                    hh.house,
                    kind=d["kind"],
                    grade=d["grade"],
                    found_on=d["found_on"],
                    note=d["note"],
                    by=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已登记隐患"))
                return redirect(hh)
    return render(
        request,
        "registry/form.html",
        {"form": form, "title": _("登记房屋隐患"), "back": hh.get_absolute_url()},
    )


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def membership_create(request, person_id: int):
    person = get_visible_or_404(registry.persons_for(request.user), request.user, pk=person_id)
    form = MembershipForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        group = registry.groups_for(request.user).get(key=d["group"])
        try:
            registry.add_membership(person, group=group, start=d["start"], note=d["note"], by=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记"))
            return redirect(person)
    return render(
        request,
        "registry/form.html",
        {"form": form, "title": _("登记人群类别"), "back": person.get_absolute_url()},
    )


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_POST
def membership_end(request, person_id: int, membership_id: int):
    person = get_visible_or_404(registry.persons_for(request.user), request.user, pk=person_id)
    membership = get_object_or_404(registry.active_memberships(person, request.user), pk=membership_id)
    try:
        registry.end_membership(membership, by=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect(person)


@login_required
@permission_required(perms.VIEW_SUPERVISED, raise_exception=True)
def supervised(request):
    """监管对象: a department's view of exactly the special groups it supervises (社区矫正 for 司法, 吸毒人员
    for 公安…), area-wide, masked; every page and export is in the audit log."""
    groups = registry.supervised_groups(request.user)
    group, q = request.GET.get("group", ""), request.GET.get("q", "")
    qs = registry.supervised_persons(request.user, group=group, q=q)
    keys = {g.key for g in groups}

    def group_names(p) -> str:
        return "、".join(m.group.name for m in p.memberships.all() if m.group.key in keys and m.end is None)

    if request.GET.get("format") == "xlsx":
        rows = [[p.name, p.get_sex_display(), p.birth_date.isoformat() if p.birth_date else "",
                 mask_id(p.id_number), mask_phone(p.phone), group_names(p), p.grid.name]
                for p in qs[:50000]]  # fmt: skip
        registry.audit_supervised_read(request.user, what="export", count=len(rows), group=group, q=q)
        headers = [
            str(h)
            for h in (
                _("姓名"),
                _("性别"),
                _("出生日期"),
                _("证件号码"),
                _("手机号"),
                _("人群类别"),
                _("网格"),
            )
        ]
        return download(write_workbook(headers, rows, sheet="监管对象"), "supervised.xlsx")
    page, query = paginate(request, qs)
    registry.audit_supervised_read(request.user, what="page", count=len(page), group=group, q=q)
    rows = [(p, group_names(p)) for p in page]
    return render(request, "registry/supervised.html", {
        "groups": groups, "group": group, "q": q, "page": page, "rows": rows, "query": query,
    })  # fmt: skip
