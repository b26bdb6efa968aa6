"""An export too long to wait for runs in the background with a progress bar, and its file (personal
data) is its owner's alone, encrypted, and gone after a day."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from testkit import grid_worker
from wangge.core import exports
from wangge.core.excel import read_rows
from wangge.core.models import ExportJob
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


def test_a_long_person_list_is_written_in_the_background_for_its_owner_alone(
    client, town, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_ROWS = 3
    worker = grid_worker(town.units[0])
    for n in range(3):
        household_with_people(town.units[0], names=(f"户主{n}", f"家属{n}"))
    client.force_login(worker)
    with django_capture_on_commit_callbacks(execute=True):  # the worker runs the task (here: at once)
        answer = client.get(reverse("registry:person_list"), {"format": "xlsx", "q": ""})
    job = ExportJob.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("export_job", args=[job.pk])
    assert job.status == "done" and job.progress == 100 and job.rows == 6
    page = client.get(answer["Location"]).content.decode()
    assert 'id="export-download"' in page and "24 小时后自动删除" in page
    _header, rows = read_rows(client.get(answer["Location"], {"download": 1}).content)
    assert {r[0] for r in rows} == {f"户主{n}" for n in range(3)} | {f"家属{n}" for n in range(3)}
    assert all("*" in r[3] for r in rows)  # ID numbers masked, as on the page
    with connection.cursor() as cursor:  # what the database holds: ciphertext, not the workbook (a zip)
        cursor.execute(f"SELECT content FROM {ExportJob._meta.db_table} WHERE id = %s", [job.pk])
        raw = bytes(cursor.fetchone()[0])
    assert raw and not raw.startswith(b"PK")
    client.force_login(grid_worker(town.units[7]))  # another worker: no such export
    assert client.get(answer["Location"]).status_code == 404
    assert client.get(answer["Location"], {"download": 1}).status_code == 404
    ExportJob.objects.filter(pk=job.pk).update(created=timezone.now() - timedelta(hours=25))
    assert exports.forget_old() == 1 and not ExportJob.objects.exists()


def test_a_short_list_downloads_at_once(client, town):
    worker = grid_worker(town.units[0])
    household_with_people(town.units[0])
    client.force_login(worker)
    answer = client.get(reverse("registry:person_list"), {"format": "xlsx"})
    assert answer.status_code == 200 and not ExportJob.objects.exists()


def test_a_town_wide_roster_pdf_is_made_in_the_background(client, town, monkeypatch,
                                                          django_capture_on_commit_callbacks):  # fmt: skip
    from wangge.registry import views

    monkeypatch.setattr(views, "ROSTER_PDF_INLINE_ROWS", 1)
    worker = grid_worker(town.units[0])
    household_with_people(town.units[0], names=("王建国", "李秀英"))
    client.force_login(worker)
    params = {"grid": town.units[0].code, "columns": ["name", "sex", "age"], "format": "pdf"}
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.get(reverse("registry:roster"), params)
    job = ExportJob.objects.get(kind="roster_pdf")
    assert answer.status_code == 302 and job.status == "done" and job.rows == 2
    pdf = client.get(reverse("export_job", args=[job.pk]), {"download": 1})
    assert pdf.content.startswith(b"%PDF") and job.filename == f"roster-{town.units[0].code}.pdf"
