"""The forms of the points pages; they check shape, the services check meaning."""

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.engagement.models import CouncilMeeting, Donor, Partner, Task, Team


class EarnForm(forms.Form):
    rule = forms.ChoiceField(label=_("积分规则"))
    quantity = forms.DecimalField(label=_("数量"), initial=1, min_value=0, max_value=1000, decimal_places=1)
    detail = forms.CharField(label=_("说明"), required=False, max_length=120)
    client_id = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [
            (r.key, f"{r.name}（{r.points} 分/{r.unit}，{'按户' if r.holder == 'household' else '按人'}）")
            for r in rules
        ]


class CorrectForm(forms.Form):
    reason = forms.CharField(label=_("更正原因"), max_length=120)


class ShopForm(forms.Form):
    grid = forms.ChoiceField(label=_("社区"))
    name = forms.CharField(label=_("名称"), max_length=64)
    address = forms.CharField(label=_("地点"), max_length=128, required=False)
    opening_hours = forms.CharField(label=_("开放时间"), max_length=64, required=False)

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = grids


class GoodsForm(forms.Form):
    name = forms.CharField(label=_("商品名称"), max_length=64)
    price = forms.IntegerField(label=_("所需积分"), min_value=1, max_value=10_000)
    unit = forms.CharField(label=_("单位"), max_length=8, initial="件")


class StockInForm(forms.Form):
    goods = forms.ChoiceField(label=_("商品"))
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=10_000)
    bought = forms.BooleanField(label=_("采购（非捐赠）"), required=False)
    donor = forms.CharField(label=_("捐赠方"), max_length=64, required=False)
    donor_kind = forms.ChoiceField(label=_("捐赠方类型"), choices=Donor.Kind.choices, initial=Donor.Kind.UNIT)
    note = forms.CharField(label=_("备注"), max_length=120, required=False)

    def __init__(self, *args, goods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goods"].choices = goods


class WriteOffForm(forms.Form):
    goods = forms.ChoiceField(label=_("商品"))
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=10_000)
    note = forms.CharField(label=_("报损原因"), max_length=120)

    def __init__(self, *args, goods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goods"].choices = goods


class TeamForm(forms.Form):
    grid = forms.ChoiceField(label=_("社区"))
    name = forms.CharField(label=_("队名"), max_length=64)
    kind = forms.ChoiceField(label=_("类型"), choices=Team.Kind.choices)
    leader = forms.CharField(label=_("队长"), max_length=64, required=False)

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = grids


class MemberForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    party_member = forms.BooleanField(label=_("党员"), required=False)
    unit = forms.CharField(label=_("工作单位"), max_length=64, required=False)


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("活动名称"), max_length=100)
    starts_at = forms.DateTimeField(
        label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(label=_("地点"), max_length=128)
    capacity = forms.IntegerField(label=_("人数上限"), min_value=1, max_value=10_000, initial=20)
    needs = forms.CharField(
        label=_("活动内容与需要"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class HoursForm(forms.Form):
    hours = forms.DecimalField(label=_("服务时长（小时）"), min_value=0, max_value=24, decimal_places=1)


class TaskForm(forms.Form):
    grid = forms.ChoiceField(label=_("社区"))
    kind = forms.ChoiceField(label=_("类别"), choices=Task.Kind.choices)
    title = forms.CharField(label=_("事项"), max_length=100)
    needs = forms.CharField(label=_("需要什么"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    due_on = forms.DateField(
        label=_("期望完成日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = grids


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=Partner.Kind.choices)
    grid = forms.ChoiceField(label=_("报到社区"))
    contact_phone = forms.CharField(
        label=_("联络人手机号"),
        max_length=20,
        required=False,
        help_text=_("该手机号注册的账号可代表单位认领关键小事"),
    )

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = grids


class PartyMemberForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    partner = forms.ChoiceField(label=_("工作单位"), required=False)

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [("", "—"), *partners]


class LeaderForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=32)
    title = forms.CharField(label=_("职务"), max_length=64)
    grid = forms.ChoiceField(label=_("挂点社区"))

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = grids


class CompleteForm(forms.Form):
    note = forms.CharField(label=_("完成情况"), widget=forms.Textarea(attrs={"rows": 3}))


class KeyForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    purpose = forms.CharField(label=_("用途"), max_length=120, initial=_("独居老人，突发情况时入户"))
    cabinet = forms.CharField(label=_("钥匙柜"), max_length=32)
    slot = forms.CharField(label=_("格位"), max_length=16)
    drawn = forms.CharField(required=False, widget=forms.HiddenInput)


class HandoutForm(forms.Form):
    taken_by = forms.CharField(label=_("领取人"), max_length=64)
    reason = forms.CharField(label=_("事由"), max_length=200)
    due_at = forms.DateTimeField(
        label=_("应归还时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=100)
    body = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 4}))
    grids = forms.MultipleChoiceField(label=_("发布范围"), widget=forms.CheckboxSelectMultiple)
    urgent = forms.BooleanField(label=_("紧急（置顶）"), required=False)
    sms = forms.BooleanField(label=_("同时发短信（300 字以内）"), required=False)

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grids"].choices = grids


class SurveyForm(forms.Form):
    grid = forms.ChoiceField(label=_("调查范围"))
    title = forms.CharField(label=_("调查名称"), max_length=100)
    questions = forms.CharField(
        label=_("题目"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("每行一题：题目|选项1/选项2/…|知晓的选项序号（从 1 起）"),
    )

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = grids


class RoundForm(forms.Form):
    per_grid = forms.IntegerField(label=_("每个网格抽样户数"), min_value=1, max_value=500, initial=10)
    seed = forms.CharField(label=_("随机种子（可留空）"), max_length=32, required=False)


class TopicForm(forms.Form):
    grid = forms.ChoiceField(label=_("网格"), required=False)
    title = forms.CharField(label=_("议题"), max_length=100)
    description = forms.CharField(
        label=_("情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = grids
        if not grids:
            del self.fields["grid"]  # a resident raises in their own grid


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("地点"), max_length=100)
    attendees = forms.CharField(
        label=_("参会人（用顿号或逗号分隔）"), widget=forms.Textarea(attrs={"rows": 2})
    )
    views = forms.CharField(label=_("各方意见"), widget=forms.Textarea(attrs={"rows": 3}))
    way = forms.ChoiceField(label=_("决议方式"), choices=CouncilMeeting.Way.choices)
    votes_for = forms.IntegerField(label=_("赞成"), min_value=0, required=False, initial=0)
    votes_against = forms.IntegerField(label=_("反对"), min_value=0, required=False, initial=0)
    abstained = forms.IntegerField(label=_("弃权"), min_value=0, required=False, initial=0)
    decision = forms.CharField(label=_("决议"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RedeemForm(forms.Form):
    account = forms.IntegerField(widget=forms.HiddenInput)
    goods = forms.ChoiceField(label=_("商品"))
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=100, initial=1)
    note = forms.CharField(label=_("备注"), max_length=120, required=False, help_text=_("如代领人"))
    client_id = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, goods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goods"].choices = goods
