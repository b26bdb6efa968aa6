from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "wangge.cases"
    label = "cases"
    verbose_name = _("事件办理")

    def ready(self) -> None:
        from wangge.cases import demo, permissions, scene
        from wangge.core import periodic

        scene.register()
        demo.register()
        periodic.register("wangge.cases.tasks.sweep_deadlines", every=60)
        permissions.register()
