from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "wangge.engagement"
    label = "engagement"
    verbose_name = _("群众参与")

    def ready(self) -> None:
        from wangge.core import periodic
        from wangge.engagement import demo, home, permissions, scene

        scene.register()
        permissions.register()
        permissions.register_volunteers()
        permissions.register_keys()
        demo.register()
        home.register()
        periodic.register("wangge.engagement.tasks.close_point_months", every=3600)
