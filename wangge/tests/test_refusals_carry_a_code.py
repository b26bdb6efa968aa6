"""Every refusal carries a stable code beside its Chinese words (core/errors.py), so that an API client
or a test tells errors apart without parsing the words."""

import ast
from pathlib import Path

import pytest

from testkit import grid_worker
from wangge.cases.tests.helpers import inside
from wangge.core.errors import CODES

PACKAGE = Path(__file__).resolve().parents[1]


def _shipped_sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "tests" not in path.parts and "migrations" not in path.parts:
            yield path, ast.parse(path.read_text())


def _is_coded(node: ast.expr) -> bool:
    """A value that holds its own code: error(...)/invalid(...), a ValidationError(..., code=...), a
    list of those, or the errors of another refusal passed on whole (`flat(exc)`, `exc.error_list`)."""
    if isinstance(node, ast.Call):
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        if name in ("error", "invalid", "flat"):
            return True
        return name == "ValidationError" and any(k.arg == "code" for k in node.keywords)
    if isinstance(node, ast.List | ast.ListComp):
        elements = node.elts if isinstance(node, ast.List) else [node.elt]
        return all(_is_coded(e) for e in elements)
    return isinstance(node, ast.Attribute) and node.attr == "error_list"


def test_every_refusal_in_shipped_code_names_its_code():
    uncoded = []
    for path, tree in _shipped_sources():
        for node in ast.walk(tree):
            where = f"{path.relative_to(PACKAGE)}:{getattr(node, 'lineno', 0)}"
            # errors built up field by field: errors[field] = error(message, code)
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Subscript) and getattr(t.value, "id", "") == "errors" for t in node.targets
            ):
                if not _is_coded(node.value):
                    uncoded.append(where)
            if not (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "ValidationError"
            ):
                continue
            if any(k.arg == "code" for k in node.keywords):
                continue
            [arg] = node.args or [None]
            if isinstance(arg, ast.Name) and arg.id == "errors":
                continue  # the dict above, each value checked where it is set
            if arg is not None and _is_coded(arg):
                continue  # another refusal's coded errors, passed on
            if isinstance(arg, ast.Dict | ast.DictComp):
                values = arg.values if isinstance(arg, ast.Dict) else [arg.value]
                if all(_is_coded(v) for v in values):
                    continue
            if isinstance(arg, ast.Name) and arg.id in ("message",) and path.name == "errors.py":
                continue
            uncoded.append(where)
    assert uncoded == []


def test_the_codes_used_are_the_documented_ones():
    used = set()
    for _path, tree in _shipped_sources():
        helpers = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "wangge.core.errors"
            for alias in node.names
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in helpers & {"error", "invalid"}:
                code = node.args[-1]
                if isinstance(code, ast.Constant):
                    used.add(code.value)
    assert used and used <= CODES, used - CODES


@pytest.mark.django_db
def test_the_api_answers_each_refusal_with_its_code(client, town):
    worker = grid_worker(town.units[0], username="coded")
    client.force_login(worker)
    lon, lat = inside(town.units[0])

    empty = client.post("/api/cases", {"category": "garbage_dumping", "lon": lon, "lat": lat},
                        content_type="application/json")  # fmt: skip
    assert empty.status_code == 422 and empty.json()["codes"] == {"description": ["required"]}
    assert empty.json()["errors"]["description"]  # the words are still there, for people

    unknown = client.post("/api/cases", {"category": "no-such", "description": "x", "lon": lon, "lat": lat},
                          content_type="application/json")  # fmt: skip
    assert unknown.json()["codes"] == {"category": ["unknown"]}

    half = client.post("/api/cases", {"category": "garbage_dumping", "description": "x", "lon": lon},
                       content_type="application/json")  # fmt: skip
    assert half.status_code == 422 and half.json()["codes"] == {"lat": ["required"]}

    made = client.post("/api/cases", {"category": "garbage_dumping", "description": "路边垃圾", "lon": lon,
                                      "lat": lat}, content_type="application/json")  # fmt: skip
    code = made.json()["code"]
    early = client.post(
        f"/api/cases/{code}/actions/handle", {"comment": "x"}, content_type="application/json"
    )
    assert early.status_code == 422 and early.json()["codes"] == {"status": ["wrong_state"]}

    malformed = client.post("/api/cases", {"description": "x"}, content_type="application/json")
    assert malformed.status_code == 422 and malformed.json()["codes"]["category"] == ["required"]

    denied = client.get("/api/audit")
    assert denied.status_code in (403, 404) and denied.json()["codes"] == {}
