from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "wangge.mediation"
    label = "mediation"
    verbose_name = _("矛盾纠纷调解")

    def ready(self) -> None:
        from wangge.core import periodic
        from wangge.mediation import demo, home, permissions, scene

        scene.register()
        demo.register()
        home.register()
        permissions.register()
        periodic.register("wangge.mediation.tasks.remind_reports", every=3600)
