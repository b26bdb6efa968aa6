from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "wangge.command"
    label = "command"
    verbose_name = _("指挥调度")

    def ready(self) -> None:
        from wangge.command import demo, permissions, scene

        permissions.register()
        scene.register()
        demo.register()
        from wangge.core.home import register_landing

        register_landing("leader", "command:screen")
        from wangge.core import periodic

        periodic.register("wangge.command.tasks.generate_reports", every=3600)
