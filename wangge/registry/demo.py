"""The demo town's people: 16,970 households and about 57,000 people, generated deterministically.

Families like a Chinese county town: about a fifth over 60, elderly living alone and empty-nest couples,
children and grandparents; valid ID numbers of Shouning county (350924); special groups, hazards and
organisations at plausible rates. Written in bulk (encryption and blind index included).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import shapely
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from wangge.accounts.models import User
from wangge.core import crypto
from wangge.core.demo import register_step
from wangge.core.names import GIVEN, SURNAMES, mobile
from wangge.grids import services as grids
from wangge.registry import services as registry
from wangge.registry.models import (
    Building,
    GroupMembership,
    Hazard,
    House,
    Household,
    HouseholdGridHistory,
    Organisation,
    Person,
    SpecialGroup,
)
from wangge.registry.validators import id_check_char, make_credit_code

REGION = "350924"
TODAY = date(2026, 11, 1)
SIZE_WEIGHTS = [(1, 11), (2, 19), (3, 24), (4, 22), (5, 15), (6, 9)]
ROADS = [
    "胜利街",
    "茗溪路",
    "蟾溪路",
    "仙岩路",
    "城东路",
    "南阳路",
    "北门街",
    "溪口路",
    "龙虎路",
    "大韩路",
    "后洋路",
    "鳌阳路",
    "解放街",
    "新华路",
    "环城路",
]
VILLAGE_ROADS = ["胜利街", "新村路", "溪边路", "村中路", "解放街"]


def _given(rng: random.Random) -> str:
    return rng.choice(GIVEN) if rng.random() < 0.3 else rng.choice(GIVEN) + rng.choice(GIVEN)


def _born(rng: random.Random, age_from: int, age_to: int) -> date:
    age = rng.uniform(age_from, age_to + 0.999)
    return TODAY - timedelta(days=int(age * 365.25))


def _point_in(geom, prepared_bounds, rng: random.Random) -> tuple[float, float]:
    minx, miny, maxx, maxy = prepared_bounds
    for _ in range(200):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if geom.contains_xy(x, y) if hasattr(geom, "contains_xy") else shapely.contains_xy(geom, x, y):
            return x, y
    c = geom.representative_point()
    return c.x, c.y


class CitizenIds:
    """Valid ID numbers of the county, each used once."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.serial = 0

    def next(self, born: date, male: bool) -> str:
        while True:
            self.serial += 1
            seq = (self.serial * 7) % 1000
            if (seq % 2 == 1) != male:
                seq = (seq + 1) % 1000
            first17 = f"{REGION}{born:%Y%m%d}{seq:03d}"
            number = first17 + id_check_char(first17)
            if number not in self.used:
                self.used.add(number)
                return number


@dataclass
class Member:
    name: str
    born: date
    male: bool
    relation: str


@dataclass
class People:
    """The town's households and people before they are written, with who belongs where."""

    households: list[Household] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    household_of: list[int] = field(default_factory=list)  # index in households, per person
    heads: list[int] = field(default_factory=list)  # index in persons
    memberships: list[tuple[int, str]] = field(default_factory=list)  # (index in persons, group key)


def _rural(unit) -> bool:
    return unit.kind is not None and unit.kind.key == "rural_settlement"


def _houses(units: list, rng: random.Random) -> list[House]:
    """Each unit grid's houses, addressed as the standard address base (标准地址库) writes them.

    In the villages a farmhouse per household along the village's own streets, whose names repeat from
    village to village as they do in a real county (北门村胜利街3号, 溪口村胜利街3号); in town a walled
    estate per unit grid with its gate number on one road (胜利街15号) and six-floor blocks inside
    (胜利街15号3栋2单元502室). The town has its own 胜利街 too: "胜利街3号" alone names several places."""
    buildings: list[Building] = []
    houses: list[House] = []
    building_of: list[int | None] = []  # index in buildings, per house
    village_of = {g.path: g.name for g in grids.active_grids().filter(depth=2)}
    next_number: dict[tuple[str, str], int] = {}  # (village or "", road) -> the next free house number
    for ui, unit in enumerate(units):
        geom = shapely.geometry.shape(unit.boundary)
        shapely.prepare(geom)
        bounds = geom.bounds
        n = unit.households
        if _rural(unit):
            village = next((name for path, name in village_of.items() if unit.path.startswith(path)), "")
            road = VILLAGE_ROADS[ui % len(VILLAGE_ROADS)]
            first = next_number.get((village, road), 1)
            next_number[(village, road)] = first + n
            for h in range(n):
                x, y = _point_in(geom, bounds, rng)
                houses.append(
                    House(
                        grid=unit,
                        address=f"{village}{road}{first + h}号",
                        use="own",
                        area_m2=round(rng.uniform(80, 260), 1),
                        lon=x,
                        lat=y,
                    )
                )
                building_of.append(None)
            continue
        road = ROADS[ui % len(ROADS)]
        gate = next_number.get(("", road), 1)
        next_number[("", road)] = gate + 2  # one side of the road: odd numbers
        per_building = 24
        for b in range(math.ceil(n / per_building)):
            x, y = _point_in(geom, bounds, rng)
            name = f"{b + 1}栋"
            addr = f"{road}{gate}号{name}"
            buildings.append(Building(grid=unit, name=name, address=addr, floors=6, units=2, lon=x, lat=y))
            for k in range(min(per_building, n - b * per_building)):
                unit_no, rest = divmod(k, 12)
                floor, room = divmod(rest, 2)
                use = rng.choices(["own", "rented", "vacant"], [80, 17, 3])[0]
                houses.append(
                    House(
                        grid=unit,
                        address=f"{addr}{unit_no + 1}单元{floor + 1}0{room + 1}室",
                        room=f"{unit_no + 1}-{floor + 1}0{room + 1}",
                        use=use,
                        area_m2=round(rng.uniform(55, 140), 1),
                        lon=x,
                        lat=y,
                    )
                )
                building_of.append(len(buildings) - 1)
    Building.objects.bulk_create(buildings, batch_size=2000)
    for house, b_index in zip(houses, building_of, strict=True):
        if b_index is not None:
            house.building = buildings[b_index]
    House.objects.bulk_create(houses, batch_size=2000)
    return houses


def _family(rng: random.Random) -> list[Member]:
    """A household's members: elderly alone, empty-nest couples, or parents with children and grandparents."""
    size = rng.choices([s for s, _ in SIZE_WEIGHTS], [w for _, w in SIZE_WEIGHTS])[0]
    surname = rng.choice(SURNAMES)
    if size == 1:
        if rng.random() < 0.6:
            return [Member(surname + _given(rng), _born(rng, 66, 93), rng.random() < 0.4, "head")]
        return [Member(surname + _given(rng), _born(rng, 22, 50), rng.random() < 0.6, "head")]
    if size == 2 and rng.random() < 0.5:
        return [
            Member(surname + _given(rng), _born(rng, 60, 86), True, "head"),
            Member(rng.choice(SURNAMES) + _given(rng), _born(rng, 58, 84), False, "spouse"),
        ]
    head_born = _born(rng, 28, 60)
    members = [
        Member(surname + _given(rng), head_born, True, "head"),
        Member(
            rng.choice(SURNAMES) + _given(rng),
            head_born + timedelta(days=rng.randint(-1500, 1500)),
            False,
            "spouse",
        ),
    ]
    for _ in range(size - 2):
        if rng.random() < 0.25:
            members.append(Member(surname + _given(rng), _born(rng, 62, 92), rng.random() < 0.45, "parent"))
        else:
            child_born = head_born + timedelta(days=int(rng.uniform(22, 36) * 365))
            if child_born > TODAY:
                child_born = TODAY - timedelta(days=rng.randint(30, 3000))
            members.append(Member(surname + _given(rng), child_born, rng.random() < 0.52, "child"))
    return members


def _person(member: Member, house: House, ids: CitizenIds, rng: random.Random) -> Person:
    age = (TODAY - member.born).days / 365.25
    has_phone = 14 <= age <= 80 and rng.random() < 0.9
    phone = mobile(rng) if has_phone else ""
    id_number = ids.next(member.born, member.male)
    return Person(
        grid=house.grid,
        name=member.name,
        doc_type="citizen_id",
        id_number=id_number,
        id_index=crypto.blind_index(id_number),
        birth_date=member.born,
        sex="male" if member.male else "female",
        phone=phone,
        phone_index=crypto.blind_index(phone) or "",
        relation=member.relation,
        address=house.address,
        ethnicity="畲族" if rng.random() < 0.03 else "汉族",
        education=rng.choice(["小学", "初中", "高中", "中专", "大专", "本科"]) if age >= 12 else "",
        occupation=(
            "退休"
            if age >= 60
            else rng.choice(["务农", "个体经营", "企业职工", "教师", "公务员", "自由职业", "外出务工"])
        )
        if age >= 18
        else ("学生" if age >= 6 else ""),
        chronic_illness=rng.choice(["高血压", "糖尿病", "冠心病"])
        if age >= 60 and rng.random() < 0.35
        else "",
        political_status="中共党员" if age >= 25 and rng.random() < 0.08 else "群众",
        registered_on=date(2024, 1, 1),
    )


def _groups_of(
    person: Person, member: Member, family: list[Member], residence: str, rng: random.Random
) -> list[str]:
    """The special groups one person is registered in, at about a county town's rates."""
    age = (TODAY - member.born).days / 365.25
    keys = []
    if len(family) == 1 and age >= 65:
        keys.append("elderly_alone")
    if len(family) == 2 and age >= 60 and all(m.relation in ("head", "spouse") for m in family):
        keys.append("empty_nest")
    if residence == "floating":
        keys.append("floating")
    if rng.random() < 0.03:
        keys.append("disabled")
        person.disability_grade = rng.choice(["一级", "二级", "三级", "四级"])
    if age < 16 and rng.random() < 0.04:
        keys.append("left_behind_child")
    if member.male and 35 <= age <= 80 and rng.random() < 0.03:
        keys.append("veteran")
    if 20 <= age <= 55 and rng.random() < 0.02:
        keys.append("unemployed")
    if age >= 18:
        s = rng.random()
        if s < 0.0008:
            keys.append("community_correction")
        elif s < 0.002:
            keys.append("released_prisoner")
        elif s < 0.004:
            keys.append("mental_disorder")
    if 16 <= age <= 25 and rng.random() < 0.004:
        keys.append("idle_youth")
    return keys


def _people(houses: list[House], rng: random.Random) -> People:
    """A household in every house, numbered within its grid, and its members."""
    people = People()
    ids = CitizenIds()
    numbering: dict[int, int] = {}
    for hi, house in enumerate(houses):
        residence = rng.choices(["registered", "resident", "floating"], [78, 14, 8])[0]
        if house.use == "vacant":
            residence = "registered"
        phone = mobile(rng)
        numbering[house.grid_id] = numbering.get(house.grid_id, 0) + 1
        people.households.append(
            Household(
                grid=house.grid,
                house=house,
                number=f"{house.grid.code}{numbering[house.grid_id]:04d}",
                residence=residence,
                phone=phone,
                phone_index=crypto.blind_index(phone) or "",
            )
        )
        family = _family(rng)
        first = len(people.persons)
        for member in family:
            person = _person(member, house, ids, rng)
            people.persons.append(person)
            people.household_of.append(hi)
            pi = len(people.persons) - 1
            if member.relation == "head":
                people.heads.append(pi)
            people.memberships.extend((pi, key) for key in _groups_of(person, member, family, residence, rng))
        if rng.random() < 0.03:
            people.memberships.extend((first + k, "low_income") for k in range(len(family)))
        if rng.random() < 0.01:
            people.memberships.append((first, "key_assistance"))
    return people


def _save_people(people: People) -> None:
    """Households, people, heads, each household's first grid and the group registrations, in bulk."""
    groups = {g.key: g for g in SpecialGroup.objects.all()}
    households, persons = people.households, people.persons
    Household.objects.bulk_create(households, batch_size=2000)
    for p, hi in zip(persons, people.household_of, strict=True):
        p.household = households[hi]
    Person.objects.bulk_create(persons, batch_size=2000)
    # every household's head in one statement (row by row, 17,000 updates took seconds)
    head = Person.objects.filter(household=OuterRef("pk"), relation="head").order_by("pk").values("pk")[:1]
    Household.objects.filter(head__isnull=True).update(head=Subquery(head))
    start = date(2024, 1, 1)
    HouseholdGridHistory.objects.bulk_create(
        [
            HouseholdGridHistory(household=h, grid=h.grid, house_address=h.house.address, valid_from=start)
            for h in households
        ],
        batch_size=2000,
    )
    GroupMembership.objects.bulk_create(
        [
            GroupMembership(person=persons[pi], group=groups[key], start=start, source="registration")
            for pi, key in people.memberships
            if key in groups
        ],
        batch_size=2000,
    )


def _hazards(houses: list[House], rng: random.Random) -> list[Hazard]:
    """A few hundred hazards, about a third already fixed."""
    hazards = []
    for house in rng.sample(houses, 420):
        kind = rng.choices(
            ["old_wiring", "fire", "gas", "dangerous_building", "illegal_construction"], [35, 30, 15, 10, 10]
        )[0]
        found = TODAY - timedelta(days=rng.randint(1, 600))
        fixed = rng.random() < 0.35
        hazards.append(
            Hazard(
                house=house,
                kind=kind,
                grade=rng.choice("CD") if kind == "dangerous_building" else "",
                found_on=found,
                state="fixed" if fixed else "open",
                fixed_on=found + timedelta(days=rng.randint(1, 60)) if fixed else None,
                fixed_by="网格员" if fixed else "",
            )
        )
    # and of those found lately, every third fixed in the days before the demo is loaded: the month's
    # 整改率 on the assessment has something to count
    now = timezone.localdate()
    recent = [h for h in hazards if h.state == "open" and (TODAY - h.found_on).days <= 120]
    for n, h in enumerate(recent[::3]):
        h.state, h.fixed_by = "fixed", "网格员"
        h.fixed_on = max(h.found_on, now - timedelta(days=n % 4))
    return Hazard.objects.bulk_create(hazards)


ORGANISATION_KINDS = [
    "individual_business",
    "individual_business",
    "enterprise",
    "institution",
    "school",
    "hospital",
]
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _organisations(units: list, rng: random.Random) -> list[Organisation]:
    """A shop, firm, clinic or school in every third unit grid, with a valid unified credit code."""
    orgs = []
    for i, unit in enumerate(units[::3]):
        kind = ORGANISATION_KINDS[i % 6]
        place = unit.name.split("-")[0]
        name = {
            "individual_business": rng.choice(SURNAMES)
            + "记"
            + rng.choice(["杂货店", "小吃店", "茶叶店", "五金店"]),
            "enterprise": f"寿宁{rng.choice(['茶业', '农业', '建材', '电子'])}有限公司",
            "institution": f"{place}卫生服务站",
            "school": f"{place}小学",
            "hospital": f"{place}卫生院",
        }[kind]
        first17 = (
            ("92" if kind == "individual_business" else "91" if kind == "enterprise" else "12")
            + "350924"
            + "".join(rng.choice(CREDIT_CODE_CHARS) for _ in range(9))
        )
        geom = shapely.geometry.shape(unit.boundary)
        x, y = _point_in(geom, geom.bounds, rng)
        orgs.append(
            Organisation(
                grid=unit,
                name=f"{name}{i + 1}" if kind != "enterprise" else name + f"（{i + 1}）",
                kind=kind,
                credit_code=make_credit_code(first17),
                contact=rng.choice(SURNAMES) + _given(rng),
                phone=mobile(rng),
                address=f"{ROADS[i % len(ROADS)]}{i + 1}号",
                lon=x,
                lat=y,
            )
        )
    return Organisation.objects.bulk_create(orgs)


def load(rng: random.Random) -> None:
    units = list(grids.leaf_grids())
    houses = _houses(units, rng)
    people = _people(houses, rng)
    # The demo resident's account phone is a head's phone in the first unit grid: their household page works.
    resident = User.objects.filter(username="resident").first()
    if resident is not None and resident.phone:
        head = people.persons[people.heads[0]]
        head.phone, head.phone_index = resident.phone, crypto.blind_index(resident.phone) or ""
    _save_people(people)
    hazards = _hazards(houses, rng)
    orgs = _organisations(units, rng)
    _corrections(units[0])
    buildings = len({h.building_id for h in houses if h.building_id})
    households, persons = len(people.households), len(people.persons)
    print(
        f"档案：{buildings} 栋楼，{len(houses)} 套房屋，{households} 户，{persons} 人，"
        f"{len(people.memberships)} 条人群登记，{len(hazards)} 处隐患，{len(orgs)} 家单位"
    )


def _corrections(unit) -> None:
    """A few people of the demo worker's grid corrected since they were registered (a new phone, a new
    job, moved within the town): their value history shows what the archive said before."""
    worker = User.objects.filter(grid_assignments__grid=unit, grid_assignments__valid_to__isnull=True).first()
    # not the first head: the demo resident signs in with that one's phone (their household, their points)
    people = list(Person.objects.filter(grid=unit, relation="head").order_by("pk")[1:4])
    changes = [{"phone": "13905931234"}, {"occupation": "个体工商户", "employer": "鳌阳镇农贸市场"},
               {"address": "鳌阳镇胜利街15号3栋2单元502室"}]  # fmt: skip
    for person, change in zip(people, changes, strict=False):
        registry.update_person(person, by=worker, **change)


def register() -> None:
    register_step("档案（人房事物）", load, order=20)
