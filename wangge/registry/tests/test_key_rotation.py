import base64
import os

import pytest
from django.db import connection

from wangge.core import crypto
from wangge.registry import services as registry
from wangge.registry.models import Person
from wangge.registry.tests.factories import household_with_people

pytestmark = pytest.mark.django_db


def test_rotation_re_encrypts_every_row_with_the_new_key_and_values_survive(town, monkeypatch):
    old = base64.b64encode(os.urandom(32)).decode()
    new = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("WANGGE_PII_KEYS", f"k1:{old}")
    crypto.reset()
    try:
        hh, people = household_with_people(town.units[0], names=("甲", "乙", "丙"))
        before = {p.pk: (p.id_number, p.phone) for p in Person.objects.all()}
        monkeypatch.setenv("WANGGE_PII_KEYS", f"k2:{new},k1:{old}")  # new key first, old still readable
        crypto.reset()
        assert registry.rows_on_old_keys() == 3 * 2 + 1  # id and phone of 3 people, the household phone
        assert Person.objects.get(pk=people[0].pk).id_number == before[people[0].pk][0]  # still readable
        assert registry.rotate_keys(batch=2) == 3 + 1
        assert registry.rows_on_old_keys() == 0
        monkeypatch.setenv("WANGGE_PII_KEYS", f"k2:{new}")  # the old key can now be dropped
        crypto.reset()
        assert {p.pk: (p.id_number, p.phone) for p in Person.objects.all()} == before
        with connection.cursor() as cur:
            cur.execute("SELECT id_number FROM registry_person")
            assert all(row[0].startswith("k2:") for row in cur.fetchall())
    finally:
        crypto.reset()
