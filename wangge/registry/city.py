"""The generated city's residents (`wangge demo city`): households of one to five people in every
micro-grid, written through the ledger import (`importing.check_ledger`, then `commit_ledger`: every row
checked, ID numbers encrypted and blind-indexed, households and group tags made), 100,000 rows at a time,
as a street office imports its 实有人口 ledger."""

from __future__ import annotations

import random
from datetime import date, timedelta

from wangge.core.demo import CitySize, register_city_step
from wangge.core.names import mobile, person_name
from wangge.grids.models import Grid
from wangge.registry import importing
from wangge.registry.validators import make_citizen_id

BATCH = 100_000
HEADER = ["网格编码", "户号", "地址", "户别", "姓名", "证件号码", "与户主关系", "手机号", "人群类别"]
GROUPS = [("独居老人", 0.012), ("残疾人", 0.008), ("低保/特困", 0.006), ("流动人口", 0.03)]
REGIONS = ["510104", "510105", "510106", "510107", "510108", "510112", "510113", "510114"]


def _tag(rng: random.Random) -> str:
    roll = rng.random()
    for name, share in GROUPS:
        if roll < share:
            return name
        roll -= share
    return ""


def load(size: CitySize, rng: random.Random) -> str:
    leaves = list(Grid.objects.filter(numchild=0, depth=6).order_by("path").values_list("code", flat=True))
    seen: set[str] = set()
    written, households, batch = 0, 0, []
    while written + len(batch) < size.persons:
        households += 1
        code = leaves[households % len(leaves)]
        for k in range(rng.choice([1, 2, 2, 3, 3, 4, 5])):
            while True:
                born = date(1930, 1, 1) + timedelta(days=rng.randint(0, 34000))
                number = make_citizen_id(rng.choice(REGIONS), born, rng.randint(0, 999), rng.random() < 0.5)
                if number not in seen:
                    seen.add(number)
                    break
            batch.append(
                [
                    code,
                    f"C{households:08d}",
                    f"示范市{code[-9:]}号",
                    "户籍户",
                    person_name(rng),
                    number,
                    "户主" if k == 0 else "子女",
                    mobile(rng) if rng.random() < 0.8 else "",
                    _tag(rng),
                ]
            )
            if written + len(batch) == size.persons:
                break
        if len(batch) >= BATCH or written + len(batch) == size.persons:
            written += _write(batch)
            batch = []
    return f"{written:,} 人，{households:,} 户"


def _write(rows: list[list]) -> int:
    report, prepared = importing.check_ledger(HEADER, rows)
    if report.errors:
        raise RuntimeError(f"the generated ledger was refused: {report.errors[:3]}")
    importing.commit_ledger(prepared, report)
    return len(prepared)


def register() -> None:
    register_city_step("实有人口（台账导入）", load, order=30)
