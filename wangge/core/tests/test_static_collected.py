"""Production pages name static files by their content hash, from what collectstatic gathered."""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import override_settings


def test_collected_files_are_named_by_their_hash(tmp_path: Path) -> None:
    manifest = {**settings.STORAGES}
    manifest["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
    with override_settings(STORAGES=manifest, STATIC_ROOT=tmp_path):
        call_command("collectstatic", interactive=False, verbosity=0)
        url = staticfiles_storage.url("vendor/echarts/echarts.min.js")
        assert url.startswith("/static/vendor/echarts/echarts.min.")
        assert url != "/static/vendor/echarts/echarts.min.js"  # named by its content hash
        assert (tmp_path / url.removeprefix("/static/")).is_file()
        # only the named build is collected
        assert not (tmp_path / "vendor" / "echarts" / "echarts.js").exists()
