"""Headers and data at rest: pages with personal data are never cached, every page names the browser
features it may use, production turns secure cookies and HSTS on by default, an uploaded ledger is
encrypted at rest and dropped once imported (or after a set time), and exports mask phones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from testkit import grid_worker
from wangge.core.excel import read_rows, write_workbook
from wangge.registry import services as registry
from wangge.registry.models import ImportJob
from wangge.registry.tests.factories import citizen_id, household_with_people

pytestmark = pytest.mark.django_db


def test_pages_and_exports_with_personal_data_are_not_cached(client, town):
    hh, _ = household_with_people(town.units[0])
    client.force_login(grid_worker(town.units[0]))
    for url in (hh.get_absolute_url(), reverse("registry:person_list"), reverse("registry:person_list") +
                "?format=xlsx", "/api/persons"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], url
        assert "geolocation=(self)" in response["Permissions-Policy"]
    client.logout()
    public = client.get(reverse("report:start"))
    assert "no-store" not in public.get("Cache-Control", "") and public["Permissions-Policy"]


def test_production_turns_secure_cookies_and_hsts_on_unless_told_not_to():
    def settings_under(**env) -> dict:
        names = (
            "[s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.STORAGES['staticfiles']"
        )
        names += "]"
        code = f"import json; from django.conf import settings as s; print(json.dumps({names}))"
        base = {k: v for k, v in os.environ.items() if not k.startswith("WANGGE_") and k != "DATABASE_URL"}
        run = subprocess.run(
            [sys.executable, "-c", f"import django, os; django.setup(); {code}"],
            env={**base, "DJANGO_SETTINGS_MODULE": "wangge.settings", "WANGGE_DEBUG": "0",
                 "WANGGE_TESTING": "0", "WANGGE_SECRET_KEY": "x" * 50, **env},  # fmt: skip
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return json.loads(run.stdout.strip().splitlines()[-1])

    secure, csrf, hsts, static = settings_under()
    assert secure and csrf and hsts >= 365 * 24 * 3600 and "Manifest" in static["BACKEND"]
    secure, csrf, hsts, _static = settings_under(WANGGE_SECURE_COOKIES="0", WANGGE_HSTS_SECONDS="0")
    assert not secure and not csrf and hsts == 0


def test_an_uploaded_ledger_is_encrypted_at_rest_and_dropped_once_imported(client, town):
    unit = town.units[0]
    client.force_login(grid_worker(unit))
    number = citizen_id()
    content = write_workbook(["网格编码", "户号", "姓名", "证件号码"], [[unit.code, "L1", "台账人", number]])
    job = client.post("/api/imports", {"file": SimpleUploadedFile("a.xlsx", content)}).json()
    with connection.cursor() as cur:
        cur.execute("SELECT content FROM registry_importjob WHERE id = %s", [job["id"]])
        (raw,) = cur.fetchone()
    # not the xlsx: no zip at the start, and not its first 64 bytes anywhere (ciphertext may hold "PK" by
    # chance; 64 given bytes by chance, never)
    stored = bytes(raw)
    assert stored and not stored.startswith(b"PK") and content[:64] not in stored
    assert ImportJob.objects.get(pk=job["id"]).content == content  # read back as uploaded
    assert client.post(f"/api/imports/{job['id']}/commit").json()["status"] == "done"
    assert ImportJob.objects.get(pk=job["id"]).content == b""  # the archive holds it now, not the file


def test_a_ledger_never_imported_is_dropped_after_the_set_time(client, town, settings):
    from wangge.registry.tasks import drop_old_ledgers

    unit = town.units[0]
    client.force_login(grid_worker(unit))
    header = ["网格编码", "户号", "姓名", "证件号码"]
    content = write_workbook(header, [[unit.code, "L2", "检查人", citizen_id()]])
    job = client.post("/api/imports", {"file": SimpleUploadedFile("b.xlsx", content)}).json()
    assert drop_old_ledgers.call() == 0  # checked today: kept for the commit
    old = timezone.now() - timedelta(days=settings.IMPORT_KEEP_DAYS + 1)
    ImportJob.objects.filter(pk=job["id"]).update(last_updated=old)
    assert drop_old_ledgers.call() == 1 and ImportJob.objects.get(pk=job["id"]).content == b""


def test_the_organisations_export_masks_contact_phones(client, town):
    unit = town.units[0]
    registry.register_organisation(
        grid=unit, name="某商店", kind="individual_business", contact="李四", phone="13812345678"
    )
    client.force_login(grid_worker(unit))
    export = client.get(reverse("registry:organisation_list"), {"format": "xlsx"})
    header, rows = read_rows(b"".join(export.streaming_content) if export.streaming else export.content)
    text = json.dumps(rows, ensure_ascii=False, default=str)
    assert "13812345678" not in text and "138****5678" in text
