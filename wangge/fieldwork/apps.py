from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "wangge.fieldwork"
    label = "fieldwork"
    verbose_name = _("走访")

    def ready(self) -> None:
        from wangge.core import periodic
        from wangge.fieldwork import city, demo, home, permissions, scene, services
        from wangge.registry import signals

        scene.register()
        demo.register()
        city.register()
        home.register()
        permissions.register()
        signals.households_changed.connect(services.on_households_changed, dispatch_uid="fieldwork-duties")
        # memberships that start or end on a day, households imported in bulk: caught up hourly
        periodic.register("wangge.fieldwork.tasks.sync_duties", every=3600)
