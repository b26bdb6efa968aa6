from django import forms
from django.utils.translation import gettext_lazy as _


class AreaForm(forms.Form):
    """One of three ways to give an area; the service says which is missing or wrong."""

    MODES = [("polygon", _("在地图上画范围")), ("radius", _("中心点和半径")), ("grids", _("选择网格"))]

    mode = forms.ChoiceField(label=_("范围"), choices=MODES, initial="polygon")
    polygon = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200_000)
    lon = forms.FloatField(label=_("经度"), required=False)
    lat = forms.FloatField(label=_("纬度"), required=False)
    radius_m = forms.FloatField(label=_("半径（米）"), required=False, initial=500)
    grids = forms.MultipleChoiceField(label=_("网格"), required=False)

    def __init__(self, *args, grid_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grids"].choices = list(grid_choices)

    def area_arguments(self) -> dict:
        """The service's arguments for the chosen way (the others left out)."""
        d = self.cleaned_data
        if d["mode"] == "grids":
            return {"grid_codes": d["grids"]}
        if d["mode"] == "radius":
            return {"lon": d["lon"], "lat": d["lat"], "radius_m": d["radius_m"]}
        return {"polygon": d["polygon"] or None}


class OperationForm(forms.Form):
    """Start an operation from the area just searched (the area comes with the search's query)."""

    title = forms.CharField(
        label=_("行动名称"),
        max_length=100,
        error_messages={"required": _("请填写行动名称，例如“台风贝碧嘉转移”")},
    )
    kind = forms.ChoiceField(label=_("类型"))
    drill = forms.BooleanField(label=_("演练"), required=False)
    shelters = forms.MultipleChoiceField(
        label=_("安置点"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, kinds=(), shelters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(kinds)
        self.fields["shelters"].choices = list(shelters)


class CheckForm(forms.Form):
    """A worker's update of one checklist line, from the page or kept offline on the phone."""

    state = forms.ChoiceField(label=_("状态"))
    shelter = forms.IntegerField(label=_("安置点"), required=False)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
    noted_at = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)
    client_id = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, states=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = list(states)


class ShelterForm(forms.Form):
    grid = forms.ChoiceField(label=_("所属网格"))
    name = forms.CharField(label=_("名称"), max_length=100)
    capacity = forms.IntegerField(label=_("容纳人数"), min_value=1, max_value=100_000)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    contact = forms.CharField(label=_("负责人及电话"), max_length=100, required=False)

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = list(grids)


class NoticeForm(forms.Form):
    text = forms.CharField(
        label=_("通知内容"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写通知内容")},
    )  # fmt: skip


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("总结"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class GenerateForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"))
    grid = forms.CharField(label=_("网格"), max_length=64)  # a code: the view looks it up in the user's area
    on = forms.DateField(label=_("截至日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                         help_text=_("生成该日期之前最近一个完整周期的报告；留空为今天"))  # fmt: skip

    def __init__(self, *args, kinds=(), grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(kinds)
        self.fields["grid"].widget = forms.Select(choices=list(grids))


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=_("会议日期"), widget=forms.DateInput(attrs={"type": "date"}))
    attendees = forms.CharField(label=_("参会人员"), max_length=500)
    minutes = forms.CharField(label=_("会议纪要"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("决定事项"), max_length=500)
    kind = forms.ChoiceField(label=_("落实方式"))
    category = forms.ChoiceField(label=_("事件类别（转为事件时）"), required=False)
    owner = forms.ChoiceField(label=_("责任人（交办任务时）"), required=False)
    due_on = forms.DateField(label=_("完成时限（交办任务时）"), required=False,
                             widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip

    def __init__(self, *args, kinds=(), categories=(), owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(kinds)
        self.fields["category"].choices = [("", "—"), *categories]
        self.fields["owner"].choices = [("", "—"), *owners]


class DoneForm(forms.Form):
    note = forms.CharField(label=_("落实情况"), max_length=500)
