"""Demo disputes: three months of neighbour, family and property disputes in the demo town, mediated at
every level, some agreements signed and followed up; last month's reports filed by most communities (one
late, one still missing) so that the centre's table shows every state."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from wangge.accounts.models import User
from wangge.core.demo import register_step
from wangge.grids.models import Grid
from wangge.mediation import services
from wangge.mediation.models import Dispute, DisputeType, FollowUp, MonthlyReport, Session

SUMMARIES = {
    "neighbour": ["楼上漏水殃及楼下，双方争执", "邻居占用公共楼道堆放杂物", "宠物狗夜间吠叫扰邻"],
    "family": ["赡养老人费用分担分歧", "兄弟分家析产纠纷"],
    "property": ["物业费收缴与服务质量争议", "小区停车位分配纠纷"],
    "land": ["宅基地边界争议", "山林承包界址不清"],
    "labour": ["装修工人工资拖欠", "临时工工伤赔偿争议"],
    "consumer": ["预付卡商家关门退费纠纷"],
    "other": ["广场舞噪音纠纷"],
}
SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗"


def load(rng: random.Random) -> None:
    today = timezone.localdate()
    kinds = {k.key: k for k in DisputeType.objects.all()}
    centre = User.objects.get(username="centre")
    units = list(Grid.objects.filter(depth=4))
    disputes = []
    for _n in range(45):
        key = rng.choice(list(SUMMARIES))
        found = today - timedelta(days=rng.randint(0, 95))
        names = [rng.choice(SURNAMES) + "某", rng.choice(SURNAMES) + "某某"]
        disputes.append(
            Dispute(
                grid=rng.choice(units),
                kind=kinds[key],
                summary=rng.choice(SUMMARIES[key]),
                parties=[{"name": n} for n in names],
                place="",
                found_by=centre,
                found_on=found,
                risk=rng.choice(["low", "low", "medium", "high"]),
                level="unit",
                level_due=found + timedelta(days=3),
                mediator=rng.choice(SURNAMES) + "调解员",
            )
        )
    Dispute.objects.bulk_create(disputes)
    sessions, follow_ups = [], []
    for d in disputes:
        age = (today - d.found_on).days
        if age < 2:
            continue  # just found
        held = d.found_on + timedelta(days=1)
        sessions.append(
            Session(
                dispute=d, held_on=held, mediator=d.mediator, notes="双方到场，说明情况", recorded_by=centre
            )
        )
        if age > 10 and rng.random() < 0.3:
            d.level, d.level_due = "community", held + timedelta(days=15)
            sessions.append(
                Session(
                    dispute=d,
                    held_on=held + timedelta(days=2),
                    mediator="社区调解员",
                    notes="楼栋长调解未果，上交社区调解",
                    recorded_by=centre,
                )
            )
        if age > 6 and rng.random() < 0.85:
            d.status = rng.choice(["agreed", "agreed", "agreed", "partly", "failed"])
            d.closed_on = min(held + timedelta(days=rng.randint(1, 8)), today)
            d.outcome = "经调解双方达成一致" if d.status != "failed" else "双方分歧较大，调解不成"
            if d.status == "failed":
                d.referred_to = rng.choice(["人民法院", "劳动仲裁委员会", "住建部门"])
            else:
                d.agreement = "一、责任方于七日内修复并赔偿损失；二、双方今后互谅互让，不再因此事发生争执。"
                d.follow_up_due = d.closed_on + timedelta(days=30)
                if d.follow_up_due <= today and rng.random() < 0.7:
                    follow_ups.append(
                        FollowUp(
                            dispute=d, visited_on=d.follow_up_due, kept=True, note="协议已履行", by=centre
                        )
                    )
        else:
            d.status = "mediating"
    Dispute.objects.bulk_update(
        disputes,
        ["level", "level_due", "status", "closed_on", "outcome", "referred_to", "agreement", "follow_up_due"],
    )
    Session.objects.bulk_create(sessions)
    FollowUp.objects.bulk_create(follow_ups)
    # last month's reports: most on time, one late, one missing
    month = services.month_start(services.month_start(today) - timedelta(days=1))
    due = services.due_day(month)
    communities = list(services.communities_for(User.objects.get(username="admin")))
    for n, g in enumerate(communities[:-1]):
        f = services.figures(g, month)
        zero = not (f["found"] or f["mediated"] or f["outstanding"])
        filed = datetime.combine(due + timedelta(days=2 if n == 0 else -rng.randint(1, 5)), time(16, 30))
        r = MonthlyReport.objects.create(
            grid=g, month=month, zero=zero, figures=f, filed_by=centre, late=n == 0
        )
        MonthlyReport.objects.filter(pk=r.pk).update(filed=timezone.make_aware(filed))


def register() -> None:
    register_step("矛盾纠纷（三个月的调解与月报）", load, order=70)
