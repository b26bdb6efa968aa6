from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "wangge.cases"
    label = "cases"
    verbose_name = _("事件办理")

    def ready(self) -> None:
        from wangge.cases import city, demo, home, permissions, scene
        from wangge.cases import services as cases
        from wangge.core import periodic
        from wangge.mediation import services as mediation

        scene.register()
        demo.register()
        city.register()
        home.register()
        periodic.register("wangge.cases.tasks.sweep_deadlines", every=60)
        periodic.register("wangge.cases.tasks.refresh_tallies", every=60)
        from django.db.models.signals import post_save

        from wangge.cases import tallies
        from wangge.cases.models import Case
        from wangge.grids.signals import grids_moved

        post_save.connect(tallies.mark_saved, sender=Case, dispatch_uid="cases.tallies.mark_saved")
        grids_moved.connect(tallies.mark_moved, dispatch_uid="cases.tallies.mark_moved")
        permissions.register()
        # a dispute's outcome in the mediation register closes the case it came in as
        mediation.dispute_closed.connect(cases.close_by_dispute, dispatch_uid="cases.close_by_dispute")
