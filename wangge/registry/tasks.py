"""Background work of the registry: ledger imports (run by `wangge worker`; idempotent)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from wangge.core.excel import RowError
from wangge.registry import importing
from wangge.registry.models import ImportJob


def _save(job_id: int, **fields) -> None:
    ImportJob.objects.filter(pk=job_id).update(**fields)


@task()
def run_ledger_import(job_id: int, commit: bool = False) -> None:
    """Check (and, when asked and clean, write) an uploaded ledger, reporting progress on the job."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status == ImportJob.Status.DONE:
        return  # a retried task never imports twice
    _save(job_id, status=ImportJob.Status.COMMITTING if commit else ImportJob.Status.CHECKING, progress=1)

    def progress(done: int, total: int) -> None:
        _save(job_id, progress=max(1, min(95, int(90 * done / max(total, 1)))))

    def done(report) -> None:
        # inside the commit's transaction: the job is done exactly when its rows are in, and its file (every
        # ID number in it) is not kept beside the archive that now holds them
        _save(job_id, status=ImportJob.Status.DONE, progress=100, rows=report.rows, report=_data(report),
              content=b"")  # fmt: skip

    try:
        # No transaction around this: progress must be visible to the page while it runs
        # (the commit itself is one transaction inside import_ledger).
        report = importing.import_ledger(
            bytes(job.content),
            mapping=job.mapping or None,
            commit=commit,
            user=job.user,
            progress=progress,
            kind=job.kind,
            committed=done,
            include_set_aside=job.include_set_aside,
            refresh=job.refresh,
            mark_missing=job.mark_missing,
            skip_tags=job.skip_tags,
        )
    except Exception as exc:  # report the failure on the page instead of leaving the job spinning
        _save(
            job_id,
            status=ImportJob.Status.FAILED,
            report={"errors": [{"row": 0, "column": "", "header": "", "message": f"导入失败：{exc}"}]},
        )
        raise
    if not report.committed:
        _save(job_id, status=ImportJob.Status.CHECKED, progress=100, rows=report.rows, report=_data(report))


def _data(report) -> dict:
    return {
        "ok": report.ok,
        "rows": report.rows,
        "persons": report.persons,
        "households_new": report.households_new,
        "error_count": len(report.errors),
        "errors": [e.__dict__ for e in report.errors],  # every one: the downloadable list names them all
        "committed": report.committed,
        "header_row": report.header_row,
        "sheet": report.sheet,
        "cleaned": importing.cleaned_summary(report),
        "cleaned_count": len(report.cleaned),
        "set_aside": [{"row": a.row, "why": a.why, "name": a.name} for a in report.set_aside],
        "set_aside_included": report.set_aside_included,
        "refresh": _refresh_data(report),
        "unknown_tags": [
            {"name": t.name, "count": len(t.rows), "rows": t.rows[:10]} for t in report.unknown_tags
        ],
    }


def _refresh_data(report) -> dict | None:
    """What a monthly refresh changes, values as the person's page shows them (personal data masked)."""
    found = report.refresh
    if found is None:
        return None
    return {
        "persons_new": report.persons_new,
        "changed": len(found.changes),
        "unchanged": found.unchanged,
        "changes": [
            {
                "row": c.row,
                "person_id": c.person_id,
                "name": c.name,
                "fields": [{"label": f.label, "before": f.before, "after": f.after} for f in c.fields],
            }
            for c in found.changes
        ],  # fmt: skip
        "missing": [
            {"person_id": m.person_id, "name": m.name, "household": m.household_number, "grid": m.grid}
            for m in found.missing
        ],
        "absent": [{"household": a.number, "grid": a.grid, "persons": a.persons} for a in found.absent],
        "absent_persons": sum(a.persons for a in found.absent),
        "moved_out": report.moved_out,
    }


@task()
def drop_old_ledgers() -> int:
    """The files of ledgers checked but never committed (or failed), after IMPORT_KEEP_DAYS."""

    old = timezone.now() - timedelta(days=settings.IMPORT_KEEP_DAYS)
    return ImportJob.objects.filter(last_updated__lt=old).exclude(content=b"").update(content=b"")


def errors_of(job: ImportJob) -> list[RowError]:
    return [RowError(**e) for e in job.report.get("errors", [])]
