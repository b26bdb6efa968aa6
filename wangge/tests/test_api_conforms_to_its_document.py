"""schemathesis over the whole API against the live test server, as a signed-in grid worker and as an
administrator: generated requests (bounded, deterministic) never get a server error, and every response
matches the OpenAPI document (status declared, content type, body schema)."""

from __future__ import annotations

import collections

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from testkit import grid_worker, staff, the_town
from wangge.accounts import services as accounts
from wangge.accounts.models import User

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.long]

EXAMPLES = 8  # per operation and user, deterministic: the whole API in about 20 s
BOUNDED = {
    "max_examples": EXAMPLES,
    "derandomize": True,  # the same examples on every run
    "deadline": None,
    "database": None,
    "phases": [Phase.explicit, Phase.generate],
    "suppress_health_check": list(HealthCheck),
}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _fresh_headers(user) -> dict:
    """The user as they were, with a token of now: generated requests may revoke tokens (DELETE
    /api/tokens/{id}) or edit accounts (an administrator's own), and every example must be that user's."""
    User.objects.filter(pk=user.pk).update(is_active=True, role=user.role, is_superuser=user.is_superuser)
    _token_row, key = accounts.issue_token(user, name="schemathesis", days=1)
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("who", ["worker", "admin"])
def test_every_operation_answers_as_its_document_says(live_server, who):
    from wangge.api import api
    from wangge.registry.tests.factories import household_with_people

    town = the_town()
    household_with_people(town.units[0])
    user = grid_worker(town.units[0]) if who == "worker" else staff(User.Role.ADMIN)
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    failures, answered = [], collections.Counter()
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(**BOUNDED)
        def run(case):
            # the generated auth (a random bearer, a random session cookie) is replaced by the user's own
            case.headers = {**(case.headers or {}), **_fresh_headers(user)}
            case.cookies = {}
            response = case.call_and_validate(base_url=live_server.url, checks=CHECKS)
            answered[response.status_code] += 1

        try:
            run()
        except Exception as exc:  # collect them all: one run shows every operation that fails
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert failures == [], "\n\n".join(failures)
    # the requests reached the operations as the user (no 401: the run would prove nothing otherwise)
    succeeded = sum(n for status, n in answered.items() if 200 <= status < 300)
    assert succeeded >= 50 and answered[401] == 0, answered
