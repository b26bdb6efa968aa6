"""Demo emergencies: a shelter in every community and village, and last month's typhoon drill over a
circle in 敖东社区, worked through by its grid workers and closed with its summary, so that the operations
page shows a whole one; the leader starts the next from the area search."""

from __future__ import annotations

import math
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
    # an area drawn on the map round the low streets by the river: six corners, about 600 m across
    corners = [(middle.x + 0.006 * math.cos(a), middle.y + 0.005 * math.sin(a))
               for a in (k * math.pi / 3 + 0.3 for k in range(6))]  # fmt: skip
    drawn = {"type": "Polygon", "coordinates": [[*corners, corners[0]]]}
    area = services.area_from(centre, polygon=drawn)
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


def reports(rng: random.Random) -> None:
    """The reports the schedule would have written by now (yesterday's, last week's, last month's) for the
    town and its communities; last week's town review held, with a decision made a case, a task done and
    a task open."""
    from wangge.command import analysis
    from wangge.command.models import AnalysisReport

    analysis.generate_due()
    centre = User.objects.get(username="centre")
    town = Grid.objects.get(depth=1)
    weekly = AnalysisReport.objects.get(kind="weekly", grid=town, version=1)
    meeting = services.record_meeting(
        weekly, held_on=weekly.end + timedelta(days=1), by=centre,
        attendees="镇党委副书记、综治中心主任、应急办、住建所、派出所、各社区书记",
        minutes="通报上周事件受理和办理情况；胜利街3号附近连续反映燃气异味，请应急办会同燃气公司上门排查；"
                "超时事件由综治中心逐件督办。",
    )  # fmt: skip
    services.add_decision(meeting, text="胜利街3号及周边楼栋燃气管道入户排查", kind="case", by=centre,
                          category="gas_leak")  # fmt: skip
    staff = User.objects.filter(role="community_staff").first() or centre
    done = services.add_decision(meeting, text="逐件督办超时未结事件，周五前反馈", kind="task", by=centre,
                                 owner=centre, due_on=weekly.end + timedelta(days=5))  # fmt: skip
    services.finish_decision(done, note="超时事件已逐件电话督办，剩余 12 件已列入下周研判", by=centre)
    services.add_decision(meeting, text="社区对独居老人家庭燃气使用开展一次入户提醒", kind="task", by=centre,
                          owner=staff, due_on=timezone.localdate() + timedelta(days=7))  # fmt: skip


def register() -> None:
    register_step("应急（安置点与一次台风转移演练）", load, order=90)
    register_step("分析报告（日报告、周研判、月分析）与研判会议", reports, order=97)
