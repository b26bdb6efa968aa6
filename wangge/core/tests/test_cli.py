"""The `wangge` command line, run as a user would (a subprocess against a file database)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.long


def _runner(var: Path):
    env = {**os.environ, "WANGGE_VAR_DIR": str(var), "WANGGE_DEBUG": "1", "LANG": "zh_CN.UTF-8"}
    env.pop("DATABASE_URL", None)
    env.pop("WANGGE_DATABASE_URL", None)

    def run(*args, lang=None):
        e = dict(env)
        if lang:
            e["LANG"] = lang
        return subprocess.run(
            [sys.executable, "-m", "wangge", *args], env=e, capture_output=True, text=True, timeout=300
        )

    return run


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A database file migrated once, through the command line, for each test to copy."""
    var = tmp_path_factory.mktemp("migrated")
    done = _runner(var)("manage", "migrate", "-v", "0")
    assert done.returncode == 0, done.stderr
    return var / "wangge.sqlite3"


@pytest.fixture
def cli(tmp_path, migrated):
    shutil.copy(migrated, tmp_path / "wangge.sqlite3")
    return _runner(tmp_path)


def test_scene_locate_export_import_and_demo_guard_through_the_command_line(cli, tmp_path):
    # a small town (the full demo loader has its own test, in test_demo)
    built = cli("manage", "shell", "-c", "from testkit import build_town; build_town()")
    assert built.returncode == 0, built.stderr
    again = cli("demo", "load", "--if-empty")
    assert again.returncode == 0 and "跳过" in again.stdout
    refused = cli("demo", "load")
    assert refused.returncode != 0 and "已有网格" in refused.stderr

    located = cli("grids", "locate", "119.51", "27.46")
    assert located.returncode == 0, located.stderr
    answer = json.loads(located.stdout)
    assert answer["found"] and len(answer["chain"]) == 4 and answer["chain"][0]["name"] == "测试镇"

    outside = cli("grids", "locate", "100", "30")
    assert outside.returncode != 0 and "该位置不在任何网格内" in outside.stderr

    out = tmp_path / "town.geojson"
    exported = cli("grids", "export", "350924901", str(out))
    assert exported.returncode == 0 and "15" in exported.stdout
    assert len(json.loads(out.read_text())["features"]) == 15

    dup = cli("grids", "import", str(out), "--dry-run")
    assert dup.returncode != 0 and "已是系统中的网格" in dup.stderr and "发现 15 个问题" in dup.stderr
    update = cli("grids", "import", str(out), "--update")  # the same layer again: each grid updated
    assert update.returncode == 0 and "已导入 0 个网格，更新 15 个" in update.stdout, update.stderr


def test_bad_input_exits_non_zero_with_a_message_in_the_users_language(cli, tmp_path):
    missing = cli("grids", "import", str(tmp_path / "nope.geojson"))
    assert missing.returncode != 0 and "找不到文件" in missing.stderr
    english = cli("grids", "import", str(tmp_path / "nope.geojson"), lang="en_US.UTF-8")
    assert english.returncode != 0 and "File not found" in english.stderr
    bad_scene = cli("scene", "apply", "atlantis")
    assert bad_scene.returncode != 0 and "rural-town" in bad_scene.stderr
    bad_crs = cli("grids", "locate", "119", "27", "--crs", "mercator")
    assert bad_crs.returncode != 0
    unknown = cli("grids", "frobnicate")
    assert unknown.returncode != 0
