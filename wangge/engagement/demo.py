"""Demo points: a points shop in each of the first three communities, stocked with goods donated by
local units; a month of points earned by the scene's rules (volunteer hours, courtyards kept clean, help
in mediation) and spent at the counter, so that statements, the shelf and the monthly report all have a
month to show. The demo resident holds points and has redeemed once."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from wangge.accounts.models import User
from wangge.core.demo import register_step
from wangge.engagement import services
from wangge.engagement.models import Activity, PointTransfer, Redemption, SignUp, StockMove, Task
from wangge.grids.models import Grid
from wangge.registry import services as registry

GOODS = [
    ("洗洁精", 20, "瓶"),
    ("毛巾", 15, "条"),
    ("大米 5kg", 60, "袋"),
    ("食用油 1.8L", 50, "桶"),
    ("牙膏", 10, "支"),
    ("雨伞", 40, "把"),
]
DONORS = [
    ("县供电公司", "unit"),
    ("县农商银行", "enterprise"),
    ("惠民超市", "enterprise"),
    ("县人民医院", "unit"),
]
DETAILS = ["环境卫生整治", "敬老院陪护", "垃圾分类宣传", "防汛值守", "文明交通劝导", "反诈宣传入户"]


def _backdate(model, pk: int, when: datetime) -> None:
    model.objects.filter(pk=pk).update(at=when)


def load(rng: random.Random) -> None:
    today = timezone.localdate()
    community = User.objects.get(username="community")
    worker = User.objects.get(username="worker")
    seconds = list(Grid.objects.filter(depth=2).order_by("path")[:3])
    shops = []
    for n, grid in enumerate(seconds):
        shop = services.open_shop(
            grid,
            name=f"{grid.name}爱心积分超市",
            address=f"{grid.name}党群服务中心一楼",
            opening_hours="每周六 9:00-11:30",
        )
        for name, price, unit in GOODS:
            goods = services.add_goods(shop, name=name, price=price, unit=unit)
            donor_name, kind = DONORS[(n + len(name)) % len(DONORS)]
            services.stock_in(
                goods, rng.randint(20, 60), donor=services.donor_named(grid, donor_name, kind), by=community
            )
        shops.append(shop)
    people = list(registry.persons_for(community).filter(household__isnull=False).order_by("?")[:160])
    resident = registry.person_of_user(User.objects.get(username="resident"))
    if resident is not None:
        people = [resident, *(p for p in people if p.pk != resident.pk)]
    granted = spent = 0
    for i, person in enumerate(people):
        for _k in range(rng.randint(1, 4)):
            day = today - timedelta(days=rng.randint(0, 30))
            when = timezone.make_aware(datetime.combine(day, time(rng.randint(8, 18), rng.randint(0, 59))))
            try:
                given = services.earn(
                    "volunteer_hour",
                    by=community,
                    person=person,
                    quantity=rng.choice([1, 2, 3]),
                    detail=rng.choice(DETAILS),
                )
            except ValidationError:  # a rule's limit reached: the demo moves on, as a worker would
                continue
            _backdate(PointTransfer, given.pk, when)
            granted += 1
        if i % 5 == 0 and person.household_id:
            try:
                given = services.earn("courtyard", by=worker, household=person.household, detail="月度评比")
                granted += 1
            except ValidationError:
                pass
    shop = shops[0]
    shelf = list(services.shop_goods(shop))
    for person in people[:60]:
        account = services.account_of(person=person)
        account.refresh_from_db()
        affordable = [g for g in shelf if g.price <= account.balance]
        if not affordable or (person != resident and rng.random() < 0.4):
            continue
        r = services.redeem_goods(account, rng.choice(affordable), 1, by=community)
        when = timezone.now() - timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 8))
        _backdate(PointTransfer, r.transfer_id, when)
        Redemption.objects.filter(pk=r.pk).update(at=when)
        StockMove.objects.filter(redemption=r).update(at=when)
        spent += 1
    closed = services.close_ended_months()  # what the worker does an hour after each month ends
    print(f"积分：{len(shops)} 个积分超市，{granted} 次发放，{spent} 次兑换，{closed} 个月已月结")


TEAMS = [
    ("党员先锋服务队", "party"),
    ("青年志愿服务队", "youth"),
    ("巾帼志愿服务队", "women"),
    ("邻里守望服务队", "neighbours"),
]
ACTIVITIES = [
    ("河道垃圾清理", "河堤步道"),
    ("敬老院义剪", "镇敬老院"),
    ("防诈骗宣传入户", "各小区"),
    ("文明交通劝导", "十字路口"),
    ("独居老人探访", "老人家中"),
    ("垃圾分类指导", "小区分类点"),
]


def volunteers(rng: random.Random) -> None:
    """Teams in the first three communities, a month of activities (most done with hours confirmed, a few
    to come), the demo resident a member who served twice."""
    community = User.objects.get(username="community")
    now = timezone.now()
    resident = registry.person_of_user(User.objects.get(username="resident"))
    teams = activities = confirmed = 0
    for grid in Grid.objects.filter(depth=2).order_by("path")[:3]:
        people = list(
            registry.persons_for(community).filter(grid__path__startswith=grid.path).order_by("?")[:40]
        )
        if resident is not None and resident.grid.path.startswith(grid.path):
            people = [resident, *(p for p in people if p.pk != resident.pk)]
        for name, kind in TEAMS[: rng.randint(2, 4)]:
            team = services.create_team(grid, name=name, kind=kind, leader=people[0].name if people else "")
            members = people[: rng.randint(8, 15)]
            for person in members:
                services.add_member(team, person, party_member=kind == "party" or rng.random() < 0.2)
            teams += 1
            for n in range(rng.randint(3, 6)):
                title, place = rng.choice(ACTIVITIES)
                start = (
                    (now + timedelta(days=rng.randint(1, 7)))
                    if n == 0
                    else now - timedelta(days=rng.randint(1, 30))
                )
                start = start.replace(minute=0, second=0, microsecond=0)
                act = services.create_activity(
                    team,
                    title=title,
                    place=place,
                    starts_at=start,
                    ends_at=start + timedelta(hours=rng.choice([2, 3])),
                    capacity=rng.randint(8, 20),
                    by=community,
                )
                activities += 1
                takers = rng.sample(members, min(len(members), rng.randint(3, 8)))
                if n == 1 and resident in members and resident not in takers:
                    takers.append(resident)
                Activity.objects.filter(pk=act.pk).update(status=Activity.Status.OPEN)
                for person in takers:
                    if act.starts_at > now:
                        services.sign_up(act, person)
                        continue
                    place_ = SignUp.objects.create(
                        activity=act,
                        person=person,
                        checked_in_at=act.starts_at + timedelta(minutes=rng.randint(0, 20)),
                    )
                    done = services.confirm_hours(place_, rng.choice([1, 1.5, 2]), by=community)
                    if done.points_id:
                        _backdate(PointTransfer, done.points_id, act.ends_at + timedelta(hours=1))
                    confirmed += 1
                if act.starts_at <= now:
                    Activity.objects.filter(pk=act.pk).update(status=Activity.Status.DONE)
    print(f"志愿服务：{teams} 支服务队，{activities} 次活动，{confirmed} 人次确认时长")


PARTNERS = [
    ("县供电公司", "enterprise"),
    ("县农商银行", "enterprise"),
    ("县人民医院", "institution"),
    ("县住建局", "organ"),
    ("惠民超市", "enterprise"),
    ("县青年志愿者协会", "social"),
]
TASKS = [
    ("homes", "修好3号楼楼道灯", "灯泡6只、梯子一架"),
    ("environment", "清理河边垃圾死角", "10人半天"),
    ("care", "为独居老人安装扶手", "扶手4套、安装师傅1名"),
    ("charity", "为困难家庭孩子捐助书包", "书包20个"),
    ("deliberation", "协调小区停车位划线", "议事会后施工"),
    ("homes", "修补小区破损路面", "水泥、施工半天"),
    ("environment", "绿化带补种", "苗木50株"),
    ("care", "陪独居老人体检", "志愿者5名、车辆1台"),
    ("charity", "为敬老院送冬被", "冬被30床"),
    ("homes", "更换单元门禁", "门禁2套"),
]


def _photo(colour: str):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (320, 240), colour).save(buf, "JPEG")
    return SimpleUploadedFile("done.jpg", buf.getvalue(), content_type="image/jpeg")


def partners(rng: random.Random) -> None:
    """Units registered with the first three communities, party members registered at home (the demo
    resident among them), two paired leaders, and ten 关键小事: most claimed, several done with a photo."""
    community = User.objects.get(username="community")
    seconds = list(Grid.objects.filter(depth=2).order_by("path")[:3])
    units = [
        services.register_partner(name, kind=kind, grids_served=rng.sample(seconds, 2))
        for name, kind in PARTNERS
    ]
    contact = User.objects.get(username="resident")  # the demo resident is also the bank's contact
    units[1].contacts.add(contact)
    members = []
    resident = registry.person_of_user(contact)
    people = list(registry.persons_for(community).filter(status="active").order_by("?")[:12])
    if resident is not None:
        people.insert(0, resident)
    for person in people:
        home = next((g for g in seconds if person.grid.path.startswith(g.path)), None)
        if home is not None and not services.member_of_person(person):
            members.append(services.register_party_member(person, grid=home, partner=rng.choice(units)))
    services.pair_leader(name="刘副县长", title="副县长", grid=seconds[0])
    services.pair_leader(name="陈局长", title="县住建局局长", grid=seconds[1])
    done = 0
    for n, (kind, title, needs) in enumerate(TASKS):
        task = services.publish_task(seconds[n % 3], kind=kind, title=title, needs=needs, by=community)
        if n >= 8:
            continue  # still open
        if n % 3 == 0 and members:
            member = members[n // 3 % len(members)]
            Task.objects.filter(pk=task.pk).update(
                status=Task.Status.CLAIMED, member=member, claimed_at=timezone.now() - timedelta(days=10 - n)
            )
        else:
            partner = units[n % len(units)]
            Task.objects.filter(pk=task.pk).update(
                status=Task.Status.CLAIMED,
                partner=partner,
                claimed_at=timezone.now() - timedelta(days=10 - n),
            )
        task.refresh_from_db()
        if n < 6:
            services.finish_task(
                task, note=f"已完成：{needs}", photos=[_photo(rng.choice(["#7a9", "#c96", "#69c"]))]
            )
            done += 1
    print(
        f"双报到与百企公益：{len(units)} 家单位，{len(members)} 名在职党员，"
        f"{len(TASKS)} 件关键小事，{done} 件已完成"
    )


def spare_keys(rng: random.Random) -> None:
    """Keys of elderly residents in the demo worker's grid: one in the cabinet, one handed out and back, one
    out past its time (flagged), one given back to its owner."""
    import base64
    from io import BytesIO

    from PIL import Image

    from wangge.engagement.services import keys

    worker = User.objects.get(username="worker")
    buf = BytesIO()
    Image.new("RGBA", (200, 60), (20, 20, 20, 255)).save(buf, "PNG")
    drawn = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    old = list(
        registry.persons_for(worker)
        .filter(
            status="active", birth_date__lt=timezone.localdate().replace(year=timezone.localdate().year - 70)
        )
        .order_by("pk")[:4]
    )
    made = []
    for n, person in enumerate(old):
        made.append(
            keys.register_key(
                person,
                purpose="独居老人，突发情况时入户",
                cabinet="社区钥匙柜A",
                slot=f"{n + 1:02d}",
                by=worker,
                drawn=drawn,
            )
        )
    if len(made) == 4:
        soon = timezone.now() + timedelta(hours=2)
        keys.hand_out(made[1], taken_by="老人的儿子", reason="老人住院，回家取衣物", due_at=soon, by=worker)
        keys.take_back(made[1], by=worker)
        late = keys.hand_out(
            made[2], taken_by="物业维修工", reason="楼上漏水，入户关阀", due_at=soon, by=worker
        )
        type(late).objects.filter(pk=late.pk).update(
            out_at=timezone.now() - timedelta(hours=6), due_at=timezone.now() - timedelta(hours=3)
        )
        keys.return_to_owner(made[3], by=worker)
    print(f"备用钥匙：{len(made)} 把")


def notices(rng: random.Random) -> None:
    """A water cut and a policy notice from 敖东社区 (the command's drill published its typhoon notice
    through the same notices)."""
    community = User.objects.get(username="community")
    village = Grid.objects.filter(depth=2).order_by("path").first()
    services.publish_notice(
        [village],
        title="周四停水通知",
        by=community,
        urgent=True,
        body="因管网维修，本周四 8:00-18:00 社区停水，请提前储水。给您带来不便，敬请谅解。",
    )
    services.publish_notice(
        [village],
        title="城乡居民医保开始缴费",
        by=community,
        body="2027 年度城乡居民医保缴费已开始，可在微信或社区服务中心缴纳，截止 12 月 31 日。",
    )
    print("通知公告：2 条")


SURVEY = """您知道本网格的网格员是谁吗？|知道/不知道|1
遇到矛盾纠纷、安全隐患，可以向谁反映？|网格员或12345/不知道找谁|1
您知道社区的积分超市吗？|知道/不知道|1"""


def surveys(rng: random.Random) -> None:
    """敖东社区's awareness survey in two rounds: about 70% aware in the first, about 92% in the second (the
    kind of line a street office reports), answered in person and through the households' links."""
    community = User.objects.get(username="community")
    village = Grid.objects.filter(depth=2).order_by("path").first()
    sv = services.create_survey(
        village, title="平安建设与网格服务知晓率", by=community, questions=services.parse_questions(SURVEY)
    )
    questions = list(sv.questions.all())
    for number, aware in ((1, 0.70), (2, 0.92)):
        rnd = services.start_round(sv, per_grid=4, by=community, seed=f"demo-{number}")
        for sampled in rnd.sample.all():
            if number == 2 and rng.random() < 0.1:
                continue  # not reached yet
            picks = {q.pk: q.aware if rng.random() < aware else 1 - q.aware for q in questions}
            services.answer(sampled, picks, mode=rng.choice(["in_person", "in_person", "link"]), by=community)
        if number == 1:
            services.close_round(rnd)
    print("知晓率调查：2 轮")


def register() -> None:
    register_step("积分与爱心积分超市（一个月的发放与兑换）", load, order=75)
    register_step("志愿服务（服务队、活动、签到与时长）", volunteers, order=74)
    register_step("双报到与百企公益（单位、党员、关键小事）", partners, order=76)
    register_step("备用钥匙（登记、借出与归还）", spare_keys, order=77)
    register_step("通知公告", notices, order=78)
    register_step("知晓率调查（两轮）", surveys, order=79)
