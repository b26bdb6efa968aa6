"""The in-process point index over leaf grids (a shapely STRtree), shared by every request.

Built lazily per date and thrown away when the boundary version in the database moves on.
Several processes: each checks the version at most every GRID_INDEX_CHECK_SECONDS, so a
boundary edited in one worker is seen by the others within that time; the editing process
drops its own index at commit.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely
from django.conf import settings


@dataclass(frozen=True)
class GridRef:
    id: int
    code: str
    name: str
    level: str
    depth: int
    level_key: str = ""  # the scene's level key (routing by level needs it without a query)

    def as_dict(self) -> dict:
        return {"id": self.id, "code": self.code, "name": self.name, "level": self.level, "depth": self.depth}


@dataclass(frozen=True)
class Located:
    leaf: GridRef
    chain: tuple[GridRef, ...]  # root first, leaf last


class LeafIndex:
    """Leaf polygons in an STRtree, with each leaf's chain up to the root precomputed."""

    def __init__(self, geoms: list, located: list[Located]):
        self.geoms = np.asarray(geoms, dtype=object)
        shapely.prepare(self.geoms)
        self.located = located
        self.tree = shapely.STRtree(self.geoms)

    def __len__(self) -> int:
        return len(self.located)

    def find(self, lon: float, lat: float) -> Located | None:
        candidates = self.tree.query(shapely.Point(lon, lat))
        if len(candidates) == 0:
            return None
        if len(candidates) > 1:
            candidates = np.sort(candidates)  # deterministic on shared edges
        hits = shapely.intersects_xy(self.geoms[candidates], lon, lat)
        found = [self.located[int(idx)] for idx, hit in zip(candidates, hits, strict=True) if hit]
        if len(found) > 1:  # a grid drawn above children not all drawn yet: the deepest that holds it
            return max(found, key=lambda f: f.leaf.depth)
        return found[0] if found else None

    def touching(self, area) -> list[tuple[Located, bool]]:
        """The leaves an area (a shapely geometry) overlaps, each with whether the area covers it whole. A
        leaf that only shares a border with the area (a neighbour of a grid chosen by hand) is not one."""
        hits = np.sort(self.tree.query(area, predicate="intersects"))
        if len(hits):
            hits = hits[~shapely.touches(area, self.geoms[hits])]
        covered = shapely.covers(area, self.geoms[hits]) if len(hits) else []
        return [(self.located[int(i)], bool(c)) for i, c in zip(hits, covered, strict=True)]


def build_index(rows: list[dict], on: date) -> LeafIndex:
    """rows: active grids with id, path, code, name, level name, depth, boundary (GeoJSON)."""
    by_path = {r["path"]: r for r in rows}
    parents = {r["path"][:-4] for r in rows if len(r["path"]) > 4}
    refs = {
        r["path"]: GridRef(r["id"], r["code"], r["name"], r["level"], r["depth"], r.get("level_key", ""))
        for r in rows
    }
    geoms, located = [], []
    # the leaves, and every grid with a boundary that has a child without one (a tree imported before
    # its map): a point there falls back to the deepest grid drawn
    undrawn_under = {r["path"][:-4] for r in rows if not r["boundary"] and len(r["path"]) > 4}
    leaves = [r for r in rows if r["boundary"] and (r["path"] not in parents or r["path"] in undrawn_under)]

    shapes = shapely.from_geojson([json.dumps(r["boundary"]) for r in leaves]) if leaves else []
    for r, geom in zip(leaves, shapes, strict=True):
        path = r["path"]
        chain = tuple(refs[path[:k]] for k in range(4, len(path) + 1, 4) if path[:k] in by_path)
        geoms.append(geom)
        located.append(Located(refs[path], chain))
    return LeafIndex(geoms, located)


class IndexCache:
    """Per-process cache of LeafIndex by date, invalidated by the database boundary version."""

    def __init__(self, loader, version_reader):
        self._loader = loader
        self._version_reader = version_reader
        self._lock = threading.Lock()
        self._indexes: dict[date, LeafIndex] = {}
        self._version: int | None = None
        self._checked = 0.0

    def invalidate(self) -> None:
        with self._lock:
            self._indexes.clear()
            self._version = None
            self._checked = 0.0

    def get(self, on: date) -> LeafIndex:
        now = time.monotonic()
        if now - self._checked > settings.GRID_INDEX_CHECK_SECONDS:
            version = self._version_reader()
            with self._lock:
                if version != self._version:
                    self._indexes.clear()
                    self._version = version
                self._checked = now
        index = self._indexes.get(on)
        if index is None:
            with self._lock:
                index = self._indexes.get(on)
                if index is None:
                    index = self._loader(on)
                    if len(self._indexes) > 8:  # past dates are rare: keep a few
                        self._indexes.clear()
                    self._indexes[on] = index
        return index
