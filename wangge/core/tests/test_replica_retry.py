"""A page whose read the replica gives up half-way (a query cancelled by a conflict with recovery, the
replica gone) is served again from the primary; a failure on the primary is not hidden."""

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from wangge.core import replica


@pytest.fixture
def replica_up(monkeypatch):
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "_may_read_replica", lambda request: True)


def test_a_read_the_replica_gave_up_is_served_from_the_primary(replica_up):
    seen = []

    @replica.replica_ok
    def page(request):
        seen.append(replica._reading_replica.get())
        if replica._reading_replica.get():
            raise OperationalError("canceling statement due to conflict with recovery")
        return "served"

    assert page(RequestFactory().get("/figures/")) == "served"
    assert seen == [True, False]  # the replica first, then the primary
    assert replica._reading_replica.get() is False  # nothing left behind for the next request


def test_a_failure_on_the_primary_is_not_hidden(monkeypatch):
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "_may_read_replica", lambda request: False)  # the primary already
    calls = []

    @replica.replica_ok
    def page(request):
        calls.append(1)
        raise OperationalError("the primary is down")

    with pytest.raises(OperationalError):
        page(RequestFactory().get("/figures/"))
    assert calls == [1]


def test_writes_are_never_run_twice(replica_up):
    calls = []

    @replica.replica_ok
    def page(request):
        calls.append(1)
        raise OperationalError("no")

    with pytest.raises(OperationalError):
        page(RequestFactory().post("/figures/"))
    assert calls == [1]
