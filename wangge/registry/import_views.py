"""Ledger import pages: upload, map columns, follow the check with a progress bar, confirm."""

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from wangge.core.downloads import download
from wangge.core.excel import errors_workbook, marked_workbook
from wangge.registry import importing
from wangge.registry import permissions as perms
from wangge.registry import services as registry
from wangge.registry.models import ImportJob
from wangge.registry.tasks import errors_of, run_ledger_import

MAX_UPLOAD = 50 * 2**20


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("台账类型"), choices=ImportJob.Kind.choices)
    file = forms.FileField(label=gettext_lazy("台账文件（.xlsx）"))
    refresh = forms.BooleanField(
        label=gettext_lazy("月度更新"),
        required=False,
        help_text=gettext_lazy(
            "按证件号核对已在档案中的人：列出新增、修改（逐项原值 → 新值）和台账中没有的人，确认后一并更新。"
            "空白单元格不会清空档案中的值。"
        ),
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 格式的 Excel 文件"), code="invalid")
        if f.size > MAX_UPLOAD:
            raise forms.ValidationError(_("文件超过 50 MB"), code="out_of_range")
        return f


ERRORS_SHOWN = 200  # on the page; the downloaded list has every one
# Marking the clerk's own file takes openpyxl 16 s and 520 MB for 100,000 rows (measured), about 3 s up
# to here; a larger file gets the list alone rather than a request that long.
MARK_UP_TO_ROWS = 20_000


def _job(request, job_id: int) -> ImportJob:
    # Jobs belong to their uploader: another user's job is "not found".
    return get_object_or_404(ImportJob, pk=job_id, user=request.user)


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        kind = form.cleaned_data["kind"]
        try:
            header = importing.read_ledger(content, kind).header
        except Exception:  # not a spreadsheet
            form.add_error("file", _("无法读取文件：请上传 .xlsx 格式的 Excel 文件"))
        else:
            columns = importing.LEDGERS[kind][0]
            mapping = importing.mapping_for(request.user, kind, header)
            job = ImportJob.objects.create(
                user=request.user,
                kind=kind,
                filename=form.cleaned_data["file"].name,
                content=content,
                mapping=mapping,
                status=ImportJob.Status.QUEUED,
                refresh=form.cleaned_data["refresh"] and kind == ImportJob.Kind.PERSONS,
            )
            if importing.missing_required(mapping, columns):
                ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.MAPPING)
                return redirect("registry:import_mapping", job_id=job.pk)
            run_ledger_import.enqueue(job_id=job.pk, commit=False)
            return redirect("registry:import_job", job_id=job.pk)
    jobs = ImportJob.objects.filter(user=request.user).defer("content")[:10]
    return render(
        request, "registry/import_upload.html", {"form": form, "jobs": jobs, "columns": importing.COLUMNS}
    )


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
def template(request):
    kind = request.GET.get("kind", "persons")
    if kind not in importing.LEDGERS:
        kind = "persons"
    return download(importing.template_xlsx(kind), f"{kind}-template.xlsx")


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def mapping(request, job_id: int):
    job = _job(request, job_id)
    table = importing.read_ledger(bytes(job.content), job.kind)
    header = table.header
    choices = [("", _("（不导入）"))] + [
        (str(i), f"{h or '—'}（{chr(65 + i) if i < 26 else i + 1} 列）") for i, h in enumerate(header)
    ]
    fields = {
        c.field: forms.ChoiceField(
            label=c.header + (" *" if c.required else ""), choices=choices, required=c.required
        )
        for c in importing.LEDGERS[job.kind][0]
    }
    form_class = type("MappingForm", (forms.Form,), fields)
    initial = {f: str(i) for f, i in (job.mapping or {}).items()}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        chosen = {f: int(v) for f, v in form.cleaned_data.items() if v != ""}
        used = [v for v in chosen.values()]
        if len(used) != len(set(used)):
            form.add_error(None, _("同一列不能对应两个字段"))
        else:
            ImportJob.objects.filter(pk=job.pk).update(mapping=chosen, status=ImportJob.Status.QUEUED)
            importing.remember_mapping(
                request.user, job.kind, header, chosen
            )  # the next such file: no asking
            run_ledger_import.enqueue(job_id=job.pk, commit=False)
            return redirect("registry:import_job", job_id=job.pk)
    return render(request, "registry/import_mapping.html", {"form": form, "job": job, "table": table})


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
def job_detail(request, job_id: int):
    job = _job(request, job_id)
    context = _job_context(request, job)
    if request.htmx:
        return render(request, "registry/import_job.html#status", context)
    return render(request, "registry/import_job.html", context)


def _job_context(request, job: ImportJob, **more) -> dict:
    context = {
        "job": job,
        "errors": job.report.get("errors", [])[:ERRORS_SHOWN],
        "shown": ERRORS_SHOWN,
        "marked": job.rows <= MARK_UP_TO_ROWS,
    }
    if job.report.get("unknown_tags"):
        context["tag_groups"] = registry.groups_for(request.user)
        context["can_add_groups"] = request.user.has_perm(perms.ADD_GROUPS)
    return context | more


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_POST
def job_tags(request, job_id: int):
    """The clerk's answer for each tag the scene does not know (map, add, leave out); then check again."""
    job = _job(request, job_id)
    tags = job.report.get("unknown_tags") or []
    if job.status not in (ImportJob.Status.CHECKED, ImportJob.Status.FAILED) or not tags:
        return redirect("registry:import_job", job_id=job.pk)
    answers = {t["name"]: request.POST.get(f"tag-{i}", "") for i, t in enumerate(tags)}
    try:
        skip = registry.answer_unknown_tags(answers, by=request.user)
    except ValidationError as exc:
        problems = {name: "；".join(messages) for name, messages in exc.message_dict.items()}
        context = _job_context(request, job, tag_problems=problems, answers=answers)
        return render(request, "registry/import_job.html", context, status=422)
    ImportJob.objects.filter(pk=job.pk).update(
        skip_tags=sorted(set(job.skip_tags) | set(skip)), status=ImportJob.Status.QUEUED, progress=0
    )
    run_ledger_import.enqueue(job_id=job.pk, commit=False)
    return redirect("registry:import_job", job_id=job.pk)


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
def job_errors(request, job_id: int):
    """The clerk's own file with every wrong cell marked (and the list on a sheet of its own); only the
    list once the file is gone (imported, or dropped after IMPORT_KEEP_DAYS) or could not be read."""
    job = _job(request, job_id)
    errors = errors_of(job)
    content = bytes(job.content)
    if content and job.report.get("sheet") and job.rows <= MARK_UP_TO_ROWS:
        try:
            marked = marked_workbook(content, job.report["sheet"], job.report.get("header_row", 1), errors)
        except Exception:  # openpyxl's own errors for a workbook it cannot open: the plain list
            marked = b""
        if marked:
            stem = job.filename.rsplit(".", 1)[0]
            return download(marked, f"{stem}-问题标注.xlsx")
    return download(errors_workbook(errors), f"errors-{job.pk}.xlsx")


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_POST
def job_commit(request, job_id: int):
    job = _job(request, job_id)
    if job.status == ImportJob.Status.CHECKED and job.report.get("ok"):
        # the refresh's missing persons are marked moved out only at the clerk's word, given here
        mark_missing = job.refresh and request.POST.get("mark_missing") == "on"
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.QUEUED, progress=0, mark_missing=mark_missing
        )
        run_ledger_import.enqueue(job_id=job.pk, commit=True)
    return redirect("registry:import_job", job_id=job.pk)


@login_required
@permission_required(perms.EDIT_ARCHIVE, raise_exception=True)
@require_POST
def job_include_set_aside(request, job_id: int):
    """The clerk says the hidden and struck-through rows belong in the archive after all: check again
    with them."""
    job = _job(request, job_id)
    if job.status in (ImportJob.Status.CHECKED, ImportJob.Status.FAILED) and job.report.get("set_aside"):
        ImportJob.objects.filter(pk=job.pk).update(
            include_set_aside=True, status=ImportJob.Status.QUEUED, progress=0
        )
        run_ledger_import.enqueue(job_id=job.pk, commit=False)
    return redirect("registry:import_job", job_id=job.pk)
