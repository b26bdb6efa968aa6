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
