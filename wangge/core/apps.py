from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "wangge.core"
    label = "core"
    verbose_name = _("平台基础")

    def ready(self) -> None:
        from wangge.core import periodic

        # what a crash left unsent goes out on the next tick
        periodic.register("wangge.core.tasks.deliver_outbox", every=30)
