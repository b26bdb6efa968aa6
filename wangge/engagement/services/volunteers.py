"""Volunteers (志愿服务): teams of a community, activities with a time, a place and a capacity, sign-up
from the phone, check-in at the place by scanning the activity's QR code, and hours confirmed by the
organiser, which grant the points of the scene's `volunteer_hour` rule. Volunteering is voluntary: it is
never a grid worker's duty and never a figure workers are assessed on."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import error, invalid
from wangge.engagement import scene
from wangge.engagement.models import Activity, PointTransfer, SignUp, Team, TeamMember
from wangge.engagement.services.earning import earn
from wangge.grids import services as grids
from wangge.grids.jurisdiction import visible
from wangge.grids.models import Grid

CHECK_IN_EARLY = timedelta(
    hours=1
)  # the QR code works from an hour before the start to an hour after the end


def create_team(grid: Grid, *, name: str, kind: str = Team.Kind.NEIGHBOURS, leader: str = "") -> Team:
    name = (name or "").strip()
    if not name:
        raise invalid("name", _("请填写队名"), "required")
    if kind not in Team.Kind.values:
        raise invalid("kind", _("未知的服务队类型"), "unknown")
    if Team.objects.filter(grid=grid, name=name).exists():
        raise invalid("name", _("本社区已有同名服务队"), "taken")
    return Team.objects.create(grid=grid, name=name[:64], kind=kind, leader=(leader or "").strip()[:64])


def add_member(team: Team, person, *, party_member: bool = False, unit: str = "") -> TeamMember:
    if TeamMember.objects.filter(team=team, person=person).exists():
        raise invalid("person", _("该居民已是本队队员"), "taken")
    return TeamMember.objects.create(
        team=team,
        person=person,
        party_member=party_member,
        unit=(unit or "").strip()[:64],
        joined_on=timezone.localdate(),
    )


def create_activity(
    team: Team,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    place: str,
    capacity,
    by,
    needs: str = "",
    lon: float | None = None,
    lat: float | None = None,
) -> Activity:
    errors: dict[str, ValidationError] = {}
    if not (title or "").strip():
        errors["title"] = error(_("请填写活动名称"), "required")
    if not (place or "").strip():
        errors["place"] = error(_("请填写活动地点"), "required")
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = error(_("结束时间应晚于开始时间"), "out_of_range")
    elif starts_at and ends_at and ends_at - starts_at > timedelta(hours=24):
        errors["ends_at"] = error(_("一次活动不超过 24 小时，多日活动请分开发布"), "out_of_range")
    try:
        capacity = int(capacity)
        if not 1 <= capacity <= 10_000:
            errors["capacity"] = error(_("人数上限应在 1 到 10000 之间"), "out_of_range")
    except (TypeError, ValueError):
        errors["capacity"] = error(_("人数上限应为正整数"), "invalid")
    if errors:
        raise ValidationError(errors)
    return Activity.objects.create(
        team=team,
        title=title.strip()[:100],
        needs=needs or "",
        starts_at=starts_at,
        ends_at=ends_at,
        place=place.strip()[:128],
        lon=lon,
        lat=lat,
        capacity=capacity,
        check_in_code=secrets.token_urlsafe(12),
        organiser=by,
    )


def _taken(activity: Activity) -> int:
    return activity.sign_ups.filter(cancelled=False).count()


@transaction.atomic
def sign_up(activity: Activity, person) -> SignUp:
    """A place in the activity (again after a cancellation), while it is open, not over and not full."""
    locked = Activity.objects.select_for_update().get(pk=activity.pk)  # two last places never both given
    if locked.status != Activity.Status.OPEN or locked.ends_at <= timezone.now():
        raise invalid("activity", _("该活动已结束或已取消，不能报名"), "closed")
    existing = SignUp.objects.filter(activity=locked, person=person).first()
    if existing is not None and not existing.cancelled:
        return existing  # a second tap: the same place
    if _taken(locked) >= locked.capacity:
        raise invalid("activity", _("名额已满（%(n)s 人）") % {"n": locked.capacity}, "too_many")
    if existing is not None:
        existing.cancelled = False
        existing.save(update_fields=["cancelled", "last_updated"])
        return existing
    return SignUp.objects.create(activity=locked, person=person)


def cancel_sign_up(place: SignUp) -> SignUp:
    if place.confirmed_at is not None:
        raise invalid("sign_up", _("服务时长已确认，不能取消报名"), "wrong_state")
    place.cancelled = True
    place.save(update_fields=["cancelled", "last_updated"])
    return place


def check_in(activity: Activity, person, *, code: str, now: datetime | None = None) -> SignUp:
    """签到 by scanning the QR code at the place: the right code, within the activity's time (an hour
    either side); a volunteer who did not sign up takes a free place."""
    now = now or timezone.now()
    if not secrets.compare_digest((code or "").encode(), activity.check_in_code.encode()):
        raise invalid("code", _("签到码不对，请扫描活动现场的二维码"), "invalid")
    if not activity.starts_at - CHECK_IN_EARLY <= now <= activity.ends_at + CHECK_IN_EARLY:
        raise invalid(
            "code",
            _("不在活动时间内，不能签到（%(s)s 至 %(e)s）")
            % {
                "s": timezone.localtime(activity.starts_at).strftime("%m-%d %H:%M"),
                "e": timezone.localtime(activity.ends_at).strftime("%H:%M"),
            },
            "out_of_range",
        )
    place = SignUp.objects.filter(activity=activity, person=person, cancelled=False).first()
    if place is None:
        if activity.status != Activity.Status.OPEN:
            raise invalid("activity", _("该活动已结束或已取消"), "closed")
        place = sign_up(activity, person)
    if place.checked_in_at is None:
        place.checked_in_at = now
        place.save(update_fields=["checked_in_at", "last_updated"])
    return place


def _hours(raw) -> Decimal:
    try:
        hours = Decimal(str(raw)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise invalid("hours", _("服务时长应为数字（小时）"), "invalid") from None
    if not Decimal("0.5") <= hours <= Decimal(24):
        raise invalid("hours", _("服务时长应在 0.5 到 24 小时之间"), "out_of_range")
    return hours


def confirm_hours(place: SignUp, hours, *, by) -> SignUp:
    """The organiser confirms a volunteer's hours, once; the hours earn the `volunteer_hour` points when
    the scene has that rule and its limit allows (the hours count either way)."""
    if getattr(by, "role", "") == "resident":
        raise invalid("by", _("服务时长须由组织者确认"), "not_allowed")
    hours = _hours(hours)
    activity = place.activity
    longest = Decimal((activity.ends_at - activity.starts_at).total_seconds() / 3600).quantize(Decimal("0.1"))
    if hours > max(longest, Decimal("0.5")):
        raise invalid("hours", _("服务时长不能超过活动时长 %(h)s 小时") % {"h": longest}, "out_of_range")
    with transaction.atomic():
        locked = SignUp.objects.select_for_update().get(pk=place.pk)
        if locked.cancelled:
            raise invalid("sign_up", _("该报名已取消"), "closed")
        if locked.confirmed_at is not None:
            raise invalid("hours", _("服务时长已确认过"), "closed")
        locked.hours, locked.confirmed_by, locked.confirmed_at = hours, by, timezone.now()
        if "volunteer_hour" in scene.rules():
            try:
                with transaction.atomic():
                    locked.points = earn(
                        "volunteer_hour",
                        by=by,
                        person=locked.person,
                        quantity=hours,
                        detail=activity.title,
                        source=f"activity:{activity.pk}",
                    )
            except (ValidationError, IntegrityError):
                locked.points = None  # the rule's limit for the month is reached: the hours still count
        locked.save()
    return locked


@dataclass
class Record:
    hours: Decimal
    activities: int
    points: int
    places: list[SignUp]


def volunteer_record(person) -> Record:
    """A volunteer's confirmed hours and history (their certificate's lines)."""
    places = list(
        SignUp.objects.filter(person=person, confirmed_at__isnull=False)
        .select_related("activity__team", "points")
        .order_by("-activity__starts_at")
    )
    points = sum(p.points.amount for p in places if p.points is not None and not _corrected(p.points))
    return Record(sum((p.hours or Decimal(0) for p in places), Decimal(0)), len(places), points, places)


def _corrected(transfer: PointTransfer) -> bool:
    return PointTransfer.objects.filter(corrects=transfer).exists()


def teams_for(user) -> QuerySet[Team]:
    return visible(Team.objects.select_related("grid"), user)


def activities_for(user) -> QuerySet[Activity]:
    return visible(Activity.objects.select_related("team__grid", "organiser"), user, grid_field="team__grid")


def activities_near(person) -> QuerySet[Activity]:
    """Open activities of the teams of the grids a resident lives in (their grid and those above it)."""
    return (
        Activity.objects.filter(
            team__grid__in=grids.chain(person.grid), status=Activity.Status.OPEN, ends_at__gte=timezone.now()
        )
        .select_related("team")
        .order_by("starts_at")
    )


def hours_by_team(teams: QuerySet[Team]) -> dict[int, Decimal]:
    rows = (
        SignUp.objects.filter(activity__team__in=teams, confirmed_at__isnull=False)
        .values_list("activity__team")
        .annotate(h=Sum("hours"))
        .order_by()
    )
    return {pk: h or Decimal(0) for pk, h in rows}
