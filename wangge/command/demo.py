"""Demo emergencies: a shelter in every community and village, and last month's typhoon drill over a
circle in 敖东社区, worked through by its grid workers and closed with its summary, so that the operations
page shows a whole one; the leader starts the next from the area search."""

from __future__ import annotations

import random
from datetime import timedelta

import shapely
from django.utils import timezone

from wangge.accounts.models import User
from wangge.command import services
from wangge.command.models import Check, CheckUpdate, Operation, Shelter
from wangge.core.demo import register_step
from wangge.grids.models import Grid, RoleAssignment

HALLS = ["居委会活动室", "文化活动中心"]
NOTES = {
    Check.State.MOVED: ["子女接送至安置点", "网格员陪同转移", "邻居协助转移"],
    Check.State.CONTACTED: ["电话确认，房屋安全，留在家中", "已上门查看，门窗加固"],
    Check.State.REFUSED: ["本人不愿离家，已签字，安排邻居照看"],
    Check.State.UNREACHABLE: ["电话无人接听，家中无人"],
}


def load(rng: random.Random) -> None:
    centre = User.objects.get(username="centre")
    seconds = list(Grid.objects.filter(depth=2).order_by("path"))
    shelters = [
        Shelter.objects.create(
            grid=g,
            name=f"{g.name}{HALLS[n % len(HALLS)]}",
            capacity=rng.choice([80, 120, 200]),
            address=f"{g.name}中心",
            contact=f"{g.name}值班室",
        )  # fmt: skip
        for n, g in enumerate(seconds)
    ]
    first = seconds[0]  # 敖东社区
    middle = shapely.geometry.shape(first.boundary).representative_point()
    area = services.area_from(centre, lon=middle.x, lat=middle.y, radius_m=600)
    drill = services.start_operation(
        centre, area, title="防御台风“贝碧嘉”转移演练", kind="typhoon", drill=True,
        shelter_ids=[s.pk for s in shelters[:3]],
    )  # fmt: skip
    started = timezone.now() - timedelta(days=30)
    Operation.objects.filter(pk=drill.pk).update(started_at=started)
    drill.refresh_from_db()
    workers = {
        a.grid_id: a.user
        for a in RoleAssignment.objects.filter(grid__in=drill.grids.all(), user__isnull=False).select_related(
            "user"
        )
    }
    outcomes = (
        [Check.State.MOVED] * 6 + [Check.State.CONTACTED] * 3 + [Check.State.REFUSED, Check.State.UNREACHABLE]
    )
    moments = started + timedelta(minutes=20)
    room = {s.pk: s.capacity for s in shelters[:3]}
    for n, check in enumerate(drill.checks.select_related("operation")):
        state = outcomes[rng.randrange(len(outcomes))]
        shelter = next((pk for pk, left in room.items() if left > 0), None)
        if state == Check.State.MOVED and shelter is None:
            state = Check.State.CONTACTED
        if state == Check.State.MOVED:
            room[shelter] -= 1
        by = workers.get(check.grid_id, centre)
        when = moments + timedelta(minutes=3 * n)
        services.record_check(check, state=state, by=by, noted_at=when, note=rng.choice(NOTES[state]),
                              shelter_id=shelter if state == Check.State.MOVED else None)  # fmt: skip
    CheckUpdate.objects.filter(check_line__operation=drill).update(received_at=moments)
    notice = "【演练】台风“贝碧嘉”预计今晚登陆，请危房住户和独居老人听从网格员安排转移。"
    services.send_notice(drill, text=notice, by=centre)
    closed = services.close_operation(
        drill, by=centre, note="演练历时两小时，重点人员全部落实到人；一户联系不上，次日上门核实。"
    )
    # as if closed that evening
    Operation.objects.filter(pk=closed.pk).update(closed_at=started + timedelta(hours=2),
                                                  summary={**closed.summary, "minutes": 120})  # fmt: skip


def _hall(n: int, place: str) -> str:
    if n == 0:
        return "鳌阳中心小学礼堂"
    return f"{place}{'村委会大礼堂' if place.endswith('村') else HALLS[n % len(HALLS)]}"


def register() -> None:
    register_step("应急（安置点与一次台风转移演练）", load, order=90)
