"""Front-end packages come from the npm registry (package.json, installed by `make`); of a package's build
folder only the files the pages use are served and collected. ECharts' dist folder alone is 49 MB of
builds, of which a page loads one."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage


class VendorFilesFinder(BaseFinder):
    """Finds the single files named in settings.VENDOR_FILES ({static path: file})."""

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        found = [str(f) for p, f in settings.VENDOR_FILES.items() if p == path and Path(f).exists()]
        if find_all or kwargs.get("all"):
            return found
        return found[0] if found else []

    def list(self, ignore_patterns):
        for path, file in settings.VENDOR_FILES.items():
            file = Path(file)
            if file.exists():
                storage = FileSystemStorage(location=str(file.parent))
                storage.prefix = path.rsplit("/", 1)[0]  # type: ignore[attr-defined]
                yield file.name, storage
