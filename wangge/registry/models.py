"""The grid archive (一网格一档案): buildings, houses, households, persons, special groups, organisations.

Class and field names follow GB/T 31000-2015 (综治 data standard: 实有人口, 特殊人群, 重点青少年) so
exports can feed a 综治 system. ID numbers, phones and personal addresses are encrypted at rest
(core.fields.EncryptedTextField) with a blind index beside them for exact search.
"""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core import idempotency
from wangge.core.fields import EncryptedBinaryField, EncryptedTextField
from wangge.core.models import SceneNamed, TimeStamped


class SpecialGroup(SceneNamed):
    """A group of people needing attention (独居老人, 残疾人, 社区矫正...), named by the scene."""

    class Standard(models.TextChoices):
        ACTUAL_POPULATION = "actual_population", _("实有人口")
        SPECIAL_POPULATION = "special_population", _("特殊人群")
        KEY_YOUTH = "key_youth", _("重点青少年")

    standard_class = models.CharField(
        _("综治分类"), max_length=32, choices=Standard, default=Standard.ACTUAL_POPULATION
    )
    sensitive = models.BooleanField(_("敏感"), default=False, help_text=_("仅有“查看敏感人群”权限者可见"))
    # the departments that supervise its members by law (社区矫正: 司法; 吸毒人员: 公安), by key: their staff
    # see exactly these members, area-wide, every read audited
    supervised_by = models.JSONField(_("监管部门"), default=list, blank=True)
    # the people an emergency looks for first (独居老人, 残疾人, 失能卧床, 留守儿童, 孕产妇…): scene data
    vulnerable = models.BooleanField(
        _("应急优先关注"), default=False, help_text=_("台风、火灾等突发事件时首先排查转移的人群")
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("特殊人群类别")
        verbose_name_plural = _("特殊人群类别")
        ordering = ["order", "pk"]


class GroupAlias(TimeStamped):
    """Another name a ledger writes a special group by (低保户 for 低保对象), as a clerk mapped it once:
    every later ledger reads it the same way."""

    name = models.CharField(_("台账中的写法"), max_length=64)  # unique: Meta.constraints (no LIKE index)
    group = models.ForeignKey(
        SpecialGroup, models.CASCADE, related_name="aliases", verbose_name=_("人群类别")
    )
    by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("对应人")
    )

    class Meta:
        verbose_name = _("人群类别别名")
        verbose_name_plural = _("人群类别别名")
        constraints = [models.UniqueConstraint(fields=["name"], name="group_alias_name_unique")]

    def __str__(self) -> str:
        return f"{self.name} → {self.group}"


class Building(TimeStamped):
    """A building (楼栋) in a grid, with its address, floors, units and a point."""

    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    name = models.CharField(_("楼栋名称"), max_length=64)
    address = models.CharField(_("地址"), max_length=255)
    floors = models.PositiveSmallIntegerField(_("层数"), default=1)
    units = models.PositiveSmallIntegerField(_("单元数"), default=1)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["grid", "name"]
        constraints = [models.CheckConstraint(condition=~Q(address=""), name="building_address_not_blank")]

    def __str__(self) -> str:
        return self.address


class House(TimeStamped):
    """A dwelling or premises (房屋): its use, area and hazard marks."""

    class Use(models.TextChoices):
        OWN = "own", _("自住")
        RENTED = "rented", _("出租")
        VACANT = "vacant", _("空置")
        BUSINESS = "business", _("经营")

    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    building = models.ForeignKey(
        Building, models.PROTECT, null=True, blank=True, related_name="houses", verbose_name=_("楼栋")
    )
    address = models.CharField(_("地址"), max_length=255)
    room = models.CharField(_("房号"), max_length=32, blank=True)
    use = models.CharField(_("用途"), max_length=16, choices=Use, default=Use.OWN)
    area_m2 = models.FloatField(_("面积（平方米）"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ["address"]
        indexes = [models.Index(fields=["grid", "address"])]

    def __str__(self) -> str:
        return self.address


class Hazard(TimeStamped):
    """A hazard found at a house (电路老化, 危房, 违建, 消防隐患, 燃气隐患), open until fixed."""

    class Kind(models.TextChoices):
        OLD_WIRING = "old_wiring", _("电路老化")
        DANGEROUS_BUILDING = "dangerous_building", _("危房")
        ILLEGAL_CONSTRUCTION = "illegal_construction", _("违建")
        FIRE = "fire", _("消防隐患")
        GAS = "gas", _("燃气隐患")

    class State(models.TextChoices):
        OPEN = "open", _("未整改")
        FIXED = "fixed", _("已整改")

    house = models.ForeignKey(House, models.PROTECT, related_name="hazards", verbose_name=_("房屋"))
    kind = models.CharField(_("隐患类型"), max_length=32, choices=Kind)
    grade = models.CharField(_("危房等级"), max_length=1, blank=True, help_text=_("危房鉴定等级 A–D"))
    found_on = models.DateField(_("发现日期"))
    state = models.CharField(_("状态"), max_length=8, choices=State, default=State.OPEN)
    fixed_on = models.DateField(_("整改日期"), null=True, blank=True)
    fixed_by = models.CharField(_("整改人"), max_length=64, blank=True)
    note = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("房屋隐患")
        verbose_name_plural = _("房屋隐患")
        ordering = ["-found_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="dangerous_building") | Q(grade__in=["A", "B", "C", "D"]),
                name="dangerous_building_has_grade",
                violation_error_message=_("危房须注明鉴定等级（A–D）"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.house} {self.get_kind_display()}"


class Household(TimeStamped):
    """A household (户): the house it lives in, its head, its members; its grid follows its house."""

    class Residence(models.TextChoices):
        REGISTERED = "registered", _("户籍户")
        RESIDENT = "resident", _("常住户")
        FLOATING = "floating", _("流动户")

    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    house = models.ForeignKey(
        House, models.PROTECT, null=True, blank=True, related_name="households", verbose_name=_("房屋")
    )
    number = models.CharField(_("户号"), max_length=32)
    residence = models.CharField(_("户别"), max_length=16, choices=Residence, default=Residence.REGISTERED)
    head = models.ForeignKey(
        "Person", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("户主")
    )
    phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    phone_index = models.CharField(_("电话索引"), max_length=64, blank=True)
    active = models.BooleanField(_("在册"), default=True)

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["number"]
        indexes = [models.Index(fields=["phone_index"], name="household_phone_index_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["number"], name="household_number_unique", violation_error_message=_("户号已存在")
            ),
            models.CheckConstraint(condition=~Q(number=""), name="household_number_not_blank"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("registry:household_detail", args=[self.pk])


class HouseholdGridHistory(models.Model):
    """Which grid a household belonged to, and when (append-only)."""

    household = models.ForeignKey(
        Household, models.CASCADE, related_name="grid_history", verbose_name=_("户")
    )
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    house_address = models.CharField(_("地址"), max_length=255, blank=True)
    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("户籍网格变更")
        verbose_name_plural = _("户籍网格变更")
        ordering = ["valid_from", "pk"]

    def __str__(self) -> str:
        return f"{self.household} {self.valid_from}"


class Person(TimeStamped):
    """A person of the actual population (实有人口), one per ID number across the deployment."""

    class DocType(models.TextChoices):
        CITIZEN_ID = "citizen_id", _("居民身份证")
        PASSPORT = "passport", _("护照")
        HK_MACAO_PERMIT = "hk_macao_permit", _("港澳居民来往内地通行证")
        TAIWAN_PERMIT = "taiwan_permit", _("台湾居民来往大陆通行证")

    class Sex(models.TextChoices):
        MALE = "male", _("男")
        FEMALE = "female", _("女")

    class Status(models.TextChoices):
        ACTIVE = "active", _("在册")
        MOVED_OUT = "moved_out", _("迁出")
        DECEASED = "deceased", _("死亡")

    class PopulationType(models.TextChoices):
        REGISTERED = "registered", _("户籍人口")
        FLOATING = "floating", _("流动人口")
        OVERSEAS = "overseas", _("境外人员")

    class MaritalStatus(models.TextChoices):  # GB/T 2261.2
        UNMARRIED = "unmarried", _("未婚")
        MARRIED = "married", _("已婚")
        WIDOWED = "widowed", _("丧偶")
        DIVORCED = "divorced", _("离婚")
        UNSPECIFIED = "unspecified", _("未说明")

    class Relation(models.TextChoices):
        HEAD = "head", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙子女")
        GRANDPARENT = "grandparent", _("祖父母")
        SIBLING = "sibling", _("兄弟姐妹")
        OTHER = "other", _("其他")

    # db_index off: the (grid, status) index serves grid lookups; every index slows a ledger import
    grid = models.ForeignKey(
        "grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"), db_index=False
    )
    household = models.ForeignKey(
        Household, models.PROTECT, null=True, blank=True, related_name="members", verbose_name=_("户")
    )
    name = models.CharField(_("姓名"), max_length=64)
    doc_type = models.CharField(_("证件类型"), max_length=24, choices=DocType, default=DocType.CITIZEN_ID)
    id_number = EncryptedTextField(_("证件号码"), blank=True, default="")
    id_index = models.CharField(_("证件索引"), max_length=64, null=True, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True, db_index=True)
    sex = models.CharField(_("性别"), max_length=8, choices=Sex, blank=True)
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_index = models.CharField(_("手机索引"), max_length=64, blank=True)
    address = EncryptedTextField(_("现住址"), blank=True, default="")
    relation = models.CharField(_("与户主关系"), max_length=16, choices=Relation, default=Relation.OTHER)
    ethnicity = models.CharField(_("民族"), max_length=16, blank=True, default="汉族")
    education = models.CharField(_("文化程度"), max_length=32, blank=True)
    occupation = models.CharField(_("职业"), max_length=64, blank=True)
    employer = models.CharField(_("工作单位"), max_length=128, blank=True)
    chronic_illness = models.CharField(_("慢性病"), max_length=128, blank=True)
    disability_grade = models.CharField(_("残疾等级"), max_length=8, blank=True)
    political_status = models.CharField(_("政治面貌"), max_length=16, blank=True)
    population_type = models.CharField(_("人口类型"), max_length=16, choices=PopulationType, blank=True)
    marital_status = models.CharField(_("婚姻状况"), max_length=16, choices=MaritalStatus, blank=True)
    registered_address = EncryptedTextField(_("户籍地址"), blank=True, default="")
    note = models.CharField(_("备注"), max_length=500, blank=True)
    registered_on = models.DateField(_("登记日期"), default=timezone.localdate)
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.ACTIVE)
    status_changed = models.DateField(_("状态变更日期"), null=True, blank=True)
    client_id = models.CharField(_("客户端编号"), max_length=64, null=True, blank=True)
    client_sender = idempotency.sender_field()

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["name", "pk"]
        # Indexes and unique constraints in Meta, not on the fields: on PostgreSQL a field's unique=True
        # or db_index=True on a CharField adds a second, pattern-ops index that exact lookups never use.
        indexes = [
            # the person list in its order (grid, household) read straight off the index, a page at a time:
            # ordering by the grid's path sorted a town's 1,000,000 people for each page (2.2 s, measured)
            models.Index(fields=["grid", "status", "household"], name="person_grid_status_household"),
            # the people in the register by their ids, off a slim index instead of a million wide rows: the
            # special groups' counts join memberships to it (PostgreSQL: 0.24 s to 0.15 s for a town of a
            # million, measured; SQLite's index carries the id anyway)
            models.Index(fields=["status", "grid"], include=["id"], name="person_status_grid_cover"),
            models.Index(fields=["name"]),
            models.Index(fields=["phone_index"], name="person_phone_index_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="person_name_not_blank"),
            models.UniqueConstraint(
                fields=["id_index"],
                name="person_id_index_unique",
                violation_error_message=_("证件号码已登记"),
            ),
            idempotency.unique_per_sender("person_client_id_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("registry:person_detail", args=[self.pk])


class GroupMembership(TimeStamped):
    """A person's membership of a special group, with start, end and source (history: never deleted)."""

    class Source(models.TextChoices):
        REGISTRATION = "registration", _("登记")
        VISIT = "visit", _("走访")
        IMPORT = "import", _("导入")
        DEPARTMENT = "department", _("部门推送")
        SELF = "self", _("本人申报")

    person = models.ForeignKey(Person, models.CASCADE, related_name="memberships", verbose_name=_("人员"))
    group = models.ForeignKey(
        SpecialGroup, models.PROTECT, related_name="memberships", verbose_name=_("类别")
    )
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("结束日期"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source, default=Source.REGISTRATION)
    note = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("特殊人群登记")
        verbose_name_plural = _("特殊人群登记")
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["group", "end"])]

    def __str__(self) -> str:
        return f"{self.person} {self.group}"


class Organisation(TimeStamped):
    """An organisation in the grid (驻区单位, 个体工商户, 企业, 学校, 医院)."""

    class Kind(models.TextChoices):
        INSTITUTION = "institution", _("驻区单位")
        INDIVIDUAL_BUSINESS = "individual_business", _("个体工商户")
        ENTERPRISE = "enterprise", _("企业")
        SCHOOL = "school", _("学校")
        HOSPITAL = "hospital", _("医院")

    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    name = models.CharField(_("名称"), max_length=128)
    kind = models.CharField(_("类型"), max_length=24, choices=Kind)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, null=True, blank=True, unique=True)
    contact = models.CharField(_("联系人"), max_length=64, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportJob(TimeStamped):
    """An Excel ledger being imported: checked and written by a background task, followed on a page."""

    class Status(models.TextChoices):
        MAPPING = "mapping", _("待指定列")
        QUEUED = "queued", _("排队中")
        CHECKING = "checking", _("检查中")
        CHECKED = "checked", _("检查完成")
        COMMITTING = "committing", _("导入中")
        DONE = "done", _("已导入")
        FAILED = "failed", _("失败")

    class Kind(models.TextChoices):
        PERSONS = "persons", _("人员台账")
        ORGANISATIONS = "organisations", _("单位台账")
        HOUSES = "houses", _("房屋台账")

    user = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("导入人"))
    kind = models.CharField(_("台账类型"), max_length=16, choices=Kind, default=Kind.PERSONS)
    filename = models.CharField(_("文件名"), max_length=255)
    # encrypted; emptied once the ledger is imported, and after IMPORT_KEEP_DAYS for one never committed
    content = EncryptedBinaryField(_("文件内容"))
    mapping = models.JSONField(_("列对应"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    report = models.JSONField(_("检查结果"), default=dict, blank=True)
    include_set_aside = models.BooleanField(_("导入隐藏和划线的行"), default=False)
    # a monthly refresh: persons matched by ID number are updated, not refused as already registered
    refresh = models.BooleanField(_("月度更新"), default=False)
    mark_missing = models.BooleanField(_("台账中没有的人标记为迁出"), default=False)
    skip_tags = models.JSONField(_("不导入的标签"), default=list, blank=True)

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.filename

    @property
    def running(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.CHECKING, self.Status.COMMITTING}


class ProposedChange(TimeStamped):
    """A resident's correction of their own household (or a new member), waiting for the grid worker."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        ACCEPTED = "accepted", _("已采纳")
        REJECTED = "rejected", _("未采纳")

    household = models.ForeignKey(Household, models.CASCADE, related_name="proposals", verbose_name=_("户"))
    grid = models.ForeignKey("grids.Grid", models.PROTECT, related_name="+", verbose_name=_("网格"))
    person = models.ForeignKey(
        Person,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("人员"),
        help_text=_("空表示新增家庭成员"),
    )
    submitted_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, related_name="+", verbose_name=_("提交人")
    )
    # The proposed values, as JSON, encrypted: they may hold an ID number or a phone.
    data = EncryptedTextField(_("内容"))
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.PENDING)
    decided_by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("确认人")
    )
    decided = models.DateTimeField(_("确认时间"), null=True, blank=True)
    reason = models.CharField(_("说明"), max_length=255, blank=True)
    client_id = models.CharField(_("客户端编号"), max_length=64, null=True, blank=True)
    client_sender = idempotency.sender_field()

    class Meta:
        verbose_name = _("居民申报")
        verbose_name_plural = _("居民申报")
        ordering = ["-created"]
        constraints = [idempotency.unique_per_sender("proposal_client_id_unique")]

    def __str__(self) -> str:
        return f"{self.household} {self.get_status_display()}"


class SavedMapping(TimeStamped):
    """The columns a user mapped by hand for a ledger layout (its header names): their next file with
    the same headers, the monthly ledger sent again, is mapped the same way without asking."""

    user = models.ForeignKey("accounts.User", models.CASCADE, related_name="+", verbose_name=_("用户"))
    kind = models.CharField(_("台账类型"), max_length=16, choices=ImportJob.Kind)
    signature = models.CharField(_("表头特征"), max_length=64)  # sha256 of the normalised header names
    mapping = models.JSONField(_("列对应"), default=dict)

    class Meta:
        verbose_name = _("保存的列对应")
        verbose_name_plural = _("保存的列对应")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "signature"], name="saved_mapping_unique"),
        ]


class PersonChange(models.Model):
    """One field of a person changed, from what to what (人员信息变更记录): what the archive said on a day
    can be answered. Written by the verbs that change a person (a correction, a monthly ledger refresh);
    the values are encrypted, as some are personal data, and shown masked like the person's own fields."""

    class Source(models.TextChoices):
        EDIT = "edit", _("修改")
        LEDGER = "ledger", _("台账更新")

    person = models.ForeignKey(Person, models.CASCADE, related_name="changes", verbose_name=_("人员"))
    field = models.CharField(_("字段"), max_length=32)
    before = EncryptedTextField(_("原值"), blank=True, default="")
    after = EncryptedTextField(_("新值"), blank=True, default="")
    changed = models.DateTimeField(_("变更时间"), default=timezone.now)
    by = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("变更人")
    )
    source = models.CharField(_("来源"), max_length=16, choices=Source, default=Source.EDIT)

    class Meta:
        verbose_name = _("人员信息变更记录")
        verbose_name_plural = _("人员信息变更记录")
        ordering = ["-changed", "-pk"]

    def __str__(self) -> str:
        return f"{self.person_id} {self.field}"
