"""Shared by the case tests: a point inside a grid, a report, the people of the loop."""

from __future__ import annotations

import io

import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from testkit import grid_worker, staff
from wangge.accounts.models import Department
from wangge.cases import services as cases


def inside(grid) -> tuple[float, float]:
    p = shapely.geometry.shape(grid.boundary).representative_point()
    return p.x, p.y


def photo(name: str = "p.jpg", colour: str = "red") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def report(grid, category: str = "garbage_dumping", **kw):
    lon, lat = inside(grid)
    by, photos = kw.pop("by", None), kw.pop("photos", ())
    data = cases.ReportIn(
        category=category, description=kw.pop("description", "小区门口堆了很多垃圾"), lon=lon, lat=lat, **kw
    )
    return cases.report(data, by=by, photos=photos)


class Cast:
    """The people of one loop in the test town: a worker of unit 0, the centre, a housing officer."""

    def __init__(self, town):
        self.worker = grid_worker(town.units[0])
        self.other_worker = grid_worker(town.units[7])
        self.centre = staff("centre_staff", scope=town.root)
        self.housing = staff("department_staff", department=Department.objects.get(key="housing"))
        self.police = staff("department_staff", department=Department.objects.get(key="police"))
        self.leader = staff("leader", scope=town.root)
