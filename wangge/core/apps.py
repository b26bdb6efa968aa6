from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "wangge.core"
    label = "core"
    verbose_name = _("平台基础")

    def ready(self) -> None:
        from django.db.models.signals import pre_save

        from wangge.core import home, periodic, text, views

        pre_save.connect(text.refuse_unclean_rows, dispatch_uid="wangge.core.text")
        home.register_panel(views.messages_panel, order=90)

        # what a crash left unsent goes out on the next tick
        periodic.register("wangge.core.tasks.deliver_outbox", every=30)
        # what a killed worker was running is taken back (at the start of every worker, then each minute)
        periodic.register("wangge.core.tasks.requeue_abandoned", every=60)
        # exports hold personal data: gone after EXPORT_KEEP_HOURS
        periodic.register("wangge.core.tasks.forget_old_exports", every=3600)
