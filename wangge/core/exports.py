"""Exports too long to wait for: written by a background task (`wangge worker`) while the user watches a
progress bar, then downloaded by its owner alone. Modules register what they export (`register`); the
platform knows none of them.

An exporter is fn(user, params) -> (headers, rows, total, filename): rows an iterator, scoped to the user
exactly as their page is (it is the same code), total how many rows will come."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wangge.core.excel import write_workbook
from wangge.core.models import ExportJob

Exporter = Callable[[object, dict], tuple[list[str], Iterator[list], int, str]]
# or one that makes its file itself (a PDF): fn(user, params) -> (content, rows, filename)
FileExporter = Callable[[object, dict], tuple[bytes, int, str]]
_EXPORTERS: dict[str, tuple[Exporter, str]] = {}
_FILES: dict[str, FileExporter] = {}


def register(kind: str, fn: Exporter, *, sheet: str) -> None:
    _EXPORTERS[kind] = (fn, sheet)


def register_file(kind: str, fn: FileExporter) -> None:
    _FILES[kind] = fn


def start(user, kind: str, params: dict) -> ExportJob:
    """Queue an export for the user; the page follows it (export_job)."""
    from wangge.core.tasks import run_export  # here: the tasks module imports this one

    if kind not in _EXPORTERS and kind not in _FILES:
        raise ValueError(f"unknown export {kind!r}")
    job = ExportJob.objects.create(user=user, kind=kind, params=params)
    transaction.on_commit(lambda: run_export.enqueue(job.pk))
    return job


def run(job_id: int) -> None:
    """Write the export, saying how far it got; idempotent (a job done is not written again)."""
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    if job.status == ExportJob.Status.DONE:
        return
    ExportJob.objects.filter(pk=job_id).update(status=ExportJob.Status.RUNNING, progress=1)
    if job.kind in _FILES:
        try:
            content, total, filename = _FILES[job.kind](job.user, job.params)
        except Exception as exc:
            ExportJob.objects.filter(pk=job_id).update(status=ExportJob.Status.FAILED, error=str(exc)[:255])
            raise
        _done(job_id, content, total, filename)
        return
    fn, sheet = _EXPORTERS[job.kind]
    try:
        headers, rows, total, filename = fn(job.user, job.params)

        def counted() -> Iterator[list]:
            for n, row in enumerate(rows, start=1):
                if n % 2000 == 0:  # the page polls every second: a write per 2,000 rows is plenty
                    ExportJob.objects.filter(pk=job_id).update(
                        progress=max(1, min(95, 95 * n // max(total, 1)))
                    )
                yield row

        content = write_workbook(headers, counted(), sheet=sheet)
    except Exception as exc:  # said on the job's page; the worker's log has the rest
        ExportJob.objects.filter(pk=job_id).update(status=ExportJob.Status.FAILED, error=str(exc)[:255])
        raise
    _done(job_id, content, total, filename)


def _done(job_id: int, content: bytes, rows: int, filename: str) -> None:
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportJob.Status.DONE, progress=100, rows=rows, filename=filename, content=content,
        finished=timezone.now(),
    )  # fmt: skip


def jobs_of(user):
    return ExportJob.objects.filter(user=user)


def forget_old() -> int:
    """Exports (personal data) are not kept: deleted EXPORT_KEEP_HOURS after they were made."""
    cutoff = timezone.now() - timedelta(hours=settings.EXPORT_KEEP_HOURS)
    deleted, _ = ExportJob.objects.filter(created__lt=cutoff).delete()
    return deleted
