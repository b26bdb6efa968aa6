import json

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.grids.models import Grid, GridKind, GridLevel, GridRole


class GeoJSONField(forms.CharField):
    """A GeoJSON geometry pasted as text (or left empty)."""

    widget = forms.Textarea

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            data = json.loads(value)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("边界不是有效的 JSON：第 %(line)s 行第 %(col)s 列")
                % {"line": exc.lineno, "col": exc.colno},
                code="invalid",
            ) from exc
        if isinstance(data, dict) and data.get("type") == "Feature":
            data = data.get("geometry")
        if isinstance(data, dict) and data.get("type") == "FeatureCollection":
            feats = data.get("features") or []
            if len(feats) != 1:
                raise forms.ValidationError(_("请只粘贴一个面要素"), code="too_many")
            data = feats[0].get("geometry")
        return data


class GridCreateForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=128)
    level = forms.ModelChoiceField(label=_("层级"), queryset=GridLevel.objects.all())
    kind = forms.ModelChoiceField(label=_("类型"), queryset=GridKind.objects.all(), required=False)
    code = forms.CharField(
        label=_("编码"), max_length=40, required=False, help_text=_("留空则按上级编码自动生成")
    )
    households = forms.IntegerField(label=_("户数"), min_value=0, initial=0)
    valid_from = forms.DateField(
        label=_("启用日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    boundary = GeoJSONField(label=_("边界（GeoJSON，WGS-84）"), required=False)
    repair = forms.BooleanField(label=_("自动修复无效边界"), required=False)


class GridEditForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=128)
    kind = forms.ModelChoiceField(label=_("类型"), queryset=GridKind.objects.all(), required=False)
    households = forms.IntegerField(label=_("户数"), min_value=0)
    boundary = GeoJSONField(label=_("边界（GeoJSON，WGS-84）"), required=False)
    boundary_from = forms.DateField(
        label=_("新边界生效日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("不填为今天；此前的边界作为历史版本保留"),
    )
    repair = forms.BooleanField(label=_("自动修复无效边界"), required=False)


class CloseForm(forms.Form):
    on = forms.DateField(label=_("停用日期"), widget=forms.DateInput(attrs={"type": "date"}))


class SplitForm(forms.Form):
    on = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    pieces = forms.CharField(
        label=_("新网格（GeoJSON FeatureCollection）"),
        widget=forms.Textarea,
        help_text=_("每个要素一个新网格，属性 name 为名称，可选 households 户数"),
    )

    def clean_pieces(self):
        try:
            data = json.loads(self.cleaned_data["pieces"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("不是有效的 JSON：第 %(line)s 行第 %(col)s 列") % {"line": exc.lineno, "col": exc.colno},
                code="invalid",
            ) from exc
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            raise forms.ValidationError(_("需要 GeoJSON FeatureCollection"), code="invalid")
        pieces = []
        for i, f in enumerate(data.get("features") or []):
            props = f.get("properties") or {}
            if not props.get("name"):
                raise forms.ValidationError(_("要素 %(i)s 缺少属性 name") % {"i": i}, code="required")
            pieces.append(
                {
                    "name": props["name"],
                    "boundary": f.get("geometry"),
                    "households": props.get("households") or 0,
                }
            )
        return pieces


class MergeForm(forms.Form):
    name = forms.CharField(label=_("合并后名称"), max_length=128)
    on = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    grids = forms.ModelMultipleChoiceField(
        label=_("要合并的网格"), queryset=Grid.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if choices is not None:
            self.fields["grids"].queryset = choices


class AssignRoleForm(forms.Form):
    role = forms.ModelChoiceField(label=_("角色"), queryset=GridRole.objects.all())
    person_name = forms.CharField(
        label=_("姓名"), max_length=64, required=False, help_text=_("选了账号可不填")
    )
    username = forms.CharField(label=_("账号（用户名或手机号，可选）"), max_length=150, required=False)
    duty_phone = forms.CharField(label=_("值班电话"), max_length=20, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("文件（.geojson / .json / .xlsx）"))
    parent = forms.CharField(label=_("上级网格编码"), required=False, help_text=_("文件中没有上级编码时使用"))
    level = forms.ModelChoiceField(label=_("层级"), queryset=GridLevel.objects.all(), required=False)
    name_property = forms.CharField(label=_("名称属性"), initial="name")
    code_property = forms.CharField(label=_("编码属性"), initial="code", required=False)
    parent_code_property = forms.CharField(label=_("上级编码属性"), initial="parent_code", required=False)
    repair = forms.BooleanField(label=_("自动修复无效边界"), required=False)
    commit = forms.BooleanField(label=_("确认导入（不勾选则只试运行）"), required=False)
