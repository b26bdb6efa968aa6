import pytest
from django.urls import reverse

from testkit import grid_worker
from wangge.audit.models import AuditRecord
from wangge.core.excel import read_rows
from wangge.registry.tests.factories import household_with_people
from wangge.registry.validators import mask_id

pytestmark = pytest.mark.django_db


def test_roster_with_picked_columns_as_excel_and_pdf(client, town):
    unit = town.units[0]
    hh, (head, spouse) = household_with_people(unit, names=("王老汉", "李大娘"), groups=["elderly_alone"])
    household_with_people(town.units[1], names=("外人甲", "外人乙"))
    client.force_login(grid_worker(unit))
    form = client.get(reverse("registry:roster"), {"grid": unit.code}).content.decode()
    assert "打印花名册" in form
    params = {"grid": unit.code, "columns": ["name", "id_number", "groups"], "format": "xlsx"}
    header, rows = read_rows(client.get(reverse("registry:roster"), params).content)
    assert header == ["姓名", "证件号码", "人群类别"]
    assert sorted(rows) == sorted(
        [["王老汉", mask_id(head.id_number), "独居老人"], ["李大娘", mask_id(spouse.id_number), ""]]
    )
    pdf = client.get(reverse("registry:roster"), {**params, "format": "pdf"})
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )
    assert AuditRecord.objects.filter(action="export", detail__format="pdf").count() == 1
    assert client.get(reverse("registry:roster"), {**params, "unmasked": "on"}).status_code == 403
    assert client.get(reverse("registry:roster"), {**params, "grid": town.units[1].code}).status_code == 404
