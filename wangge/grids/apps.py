from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "wangge.grids"
    label = "grids"
    verbose_name = _("网格")

    def ready(self) -> None:
        from wangge.grids import city, scene

        scene.register()
        city.register()
