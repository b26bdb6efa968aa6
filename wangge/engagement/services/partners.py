"""双报到 and 百企公益: partner units registered with the communities they serve, in-service party members
registered at their home community, county leaders paired with communities, and the board of 关键小事
that communities publish and units or members claim and complete with photos. What each did is recorded
once: the community's board, the unit's page (its own tasks and its members') and the member's page read
the same rows."""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core import photos as core_photos
from wangge.core.errors import invalid
from wangge.engagement.models import PairedLeader, Partner, PartnerLink, PartyMember, Task, TaskPhoto
from wangge.grids import services as grids
from wangge.grids.jurisdiction import visible
from wangge.grids.models import Grid

T = Task.Status
PUBLIC = (T.OPEN, T.CLAIMED, T.DONE)


def register_partner(name: str, *, kind: str = Partner.Kind.ENTERPRISE, grids_served=()) -> Partner:
    name = (name or "").strip()
    if not name:
        raise invalid("name", _("请填写单位名称"), "required")
    if kind not in Partner.Kind.values:
        raise invalid("kind", _("未知的单位类型"), "unknown")
    partner, _made = Partner.objects.get_or_create(name=name[:100], defaults={"kind": kind})
    for grid in grids_served:
        PartnerLink.objects.get_or_create(partner=partner, grid=grid)
    return partner


def register_party_member(person, *, grid: Grid, partner: Partner | None = None) -> PartyMember:
    if PartyMember.objects.filter(person=person).exists():
        raise invalid("person", _("该党员已经报到"), "taken")
    if not person.grid.path.startswith(grid.path):
        raise invalid("grid", _("在职党员应到居住地社区报到"), "invalid")
    return PartyMember.objects.create(
        person=person, grid=grid, partner=partner, registered_on=timezone.localdate()
    )


def pair_leader(*, name: str, title: str, grid: Grid) -> PairedLeader:
    if not (name or "").strip() or not (title or "").strip():
        raise invalid("name", _("请填写领导姓名和职务"), "required")
    found, _made = PairedLeader.objects.get_or_create(
        name=name.strip()[:32], grid=grid, defaults={"title": title.strip()[:64]}
    )
    return found


def publish_task(grid: Grid, *, kind: str, title: str, by, needs: str = "", due_on=None) -> Task:
    if kind not in Task.Kind.values:
        raise invalid("kind", _("请选择关键小事的类别"), "required")
    if not (title or "").strip():
        raise invalid("title", _("请填写事项"), "required")
    if due_on is not None and due_on < timezone.localdate():
        raise invalid("due_on", _("期望完成日期不能早于今天"), "out_of_range")
    return Task.objects.create(
        grid=grid, kind=kind, title=title.strip()[:100], needs=needs or "", due_on=due_on, published_by=by
    )


def member_of_person(person) -> PartyMember | None:
    return PartyMember.objects.filter(person=person).first()


def member_of(user) -> PartyMember | None:
    """The signed-in resident's own party-member registration, if any."""
    from wangge.registry import services as registry

    person = registry.person_of_user(user)
    return PartyMember.objects.filter(person=person).first() if person is not None else None


def claimers(user, task: Task) -> list[tuple[str, str]]:
    """Whom the user may claim the task for: a unit they are a contact of, or themselves as a party member
    of the task's community ("partner:<id>" / "member")."""
    if not getattr(user, "is_authenticated", False):
        return []
    found = [(f"partner:{p.pk}", p.name) for p in user.partners.order_by("name")]
    member = member_of(user)
    if (
        member is not None
        and task.grid.path.startswith(member.grid.path)
        or (member is not None and member.grid.path.startswith(task.grid.path))
    ):
        found.append(("member", str(_("本人（在职党员）"))))
    return found


def claim_task(task: Task, *, by, claimer: str) -> Task:
    """认领: one claimer per task, the first to ask (the row is locked)."""
    allowed = dict(claimers(by, task))
    if claimer not in allowed:
        raise invalid(
            "claimer", _("您不能代表该单位认领；单位联络人或本社区报到的在职党员可认领"), "not_allowed"
        )
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.status != T.OPEN:
            raise invalid("task", _("该事项已被认领或已撤回"), "closed")
        if claimer == "member":
            locked.member = member_of(by)
        else:
            locked.partner = Partner.objects.get(pk=int(claimer.split(":")[1]))
        locked.status, locked.claimed_by, locked.claimed_at = T.CLAIMED, by, timezone.now()
        locked.save()
    return locked


def may_complete(user, task: Task) -> bool:
    if task.status != T.CLAIMED or not getattr(user, "is_authenticated", False):
        return False
    if task.partner is not None:
        return task.partner.contacts.filter(pk=user.pk).exists()
    member = member_of(user)
    return member is not None and member.pk == task.member_id


def complete_task(task: Task, *, by, note: str, photos=()) -> Task:
    """Done, reported by its claimer, with what was done and at least one photo; all or nothing."""
    if not may_complete(by, task):
        raise invalid("task", _("只有认领的单位或党员可以报告完成"), "not_allowed")
    return finish_task(task, note=note, photos=photos)


@transaction.atomic
def finish_task(task: Task, *, note: str, photos=()) -> Task:
    if task.status != T.CLAIMED:
        raise invalid("task", _("该事项尚未认领或已完成"), "wrong_state")
    if not (note or "").strip():
        raise invalid("note", _("请填写完成情况"), "required")
    photos = list(photos)
    if not photos:
        raise invalid("photos", _("请上传至少一张完成照片"), "required")
    if len(photos) > settings.FIELDWORK_MAX_PHOTOS:
        raise invalid("photos", _("最多上传 %(n)d 张照片") % {"n": settings.FIELDWORK_MAX_PHOTOS}, "too_many")
    images = [core_photos.check_image(p, max_bytes=settings.CASE_MAX_PHOTO_BYTES) for p in photos]
    task.status, task.done_note, task.done_at = T.DONE, note.strip(), timezone.now()
    task.save(update_fields=["status", "done_note", "done_at", "last_updated"])
    for image in images:
        content, width, height = core_photos.jpeg(image)
        photo = TaskPhoto(task=task, width=width, height=height)
        photo.image.save("photo.jpg", ContentFile(content), save=True)
    return task


def withdraw_task(task: Task) -> Task:
    if task.status != T.OPEN:
        raise invalid("task", _("已认领的事项不能撤回"), "wrong_state")
    task.status = T.WITHDRAWN
    task.save(update_fields=["status", "last_updated"])
    return task


def board(*, grid: Grid | None = None, kind: str = "", status: str = "") -> QuerySet[Task]:
    """The public board: what communities asked for, who claimed it, what was done (no personal data)."""
    qs = Task.objects.filter(status__in=PUBLIC).select_related("grid", "partner")
    if grid is not None:
        qs = qs.filter(grids.subtree_q(grid.path, prefix="grid__"))
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-created")


def counts_by_kind(qs: QuerySet[Task]) -> list[tuple[str, int, int, int]]:
    """Per kind: published, claimed (or done), done."""
    rows = {
        k: (n, c, d)
        for k, n, c, d in qs.values_list("kind")
        .annotate(
            n=Count("pk"),
            c=Count("pk", filter=Q(status__in=[T.CLAIMED, T.DONE])),
            d=Count("pk", filter=Q(status=T.DONE)),
        )
        .order_by()
    }
    return [(str(label), *rows.get(key, (0, 0, 0))) for key, label in Task.Kind.choices]


def counts_by_partner(qs: QuerySet[Task]) -> list[tuple[Partner, int, int, int]]:
    """Per unit: its own claims, those done, and the tasks its members did."""
    own = dict(qs.filter(partner__isnull=False).values_list("partner").annotate(n=Count("pk")).order_by())
    done = dict(
        qs.filter(partner__isnull=False, status=T.DONE)
        .values_list("partner")
        .annotate(n=Count("pk"))
        .order_by()
    )
    members = dict(
        qs.filter(member__partner__isnull=False, status=T.DONE)
        .values_list("member__partner")
        .annotate(n=Count("pk"))
        .order_by()
    )
    ids = set(own) | set(members)
    partners = Partner.objects.in_bulk(ids)
    rows = [(partners[i], own.get(i, 0), done.get(i, 0), members.get(i, 0)) for i in ids]
    return sorted(rows, key=lambda r: (-r[2] - r[3], r[0].name))


def tasks_for(user) -> QuerySet[Task]:
    return visible(Task.objects.select_related("grid", "partner", "member__person"), user)


def partners_for(user) -> QuerySet[Partner]:
    """Units registered with a community in the user's jurisdiction."""
    links = visible(PartnerLink.objects.all(), user).values("partner")
    return Partner.objects.filter(pk__in=links).order_by("name")


def party_members_for(user) -> QuerySet[PartyMember]:
    return visible(PartyMember.objects.select_related("person", "partner", "grid"), user)


def leaders_for(user) -> QuerySet[PairedLeader]:
    return visible(PairedLeader.objects.select_related("grid"), user)
