from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "wangge.registry"
    label = "registry"
    verbose_name = _("人房事物档案")

    def ready(self) -> None:
        from wangge.core import exports, periodic
        from wangge.registry import city, demo, home, permissions, scene, views

        periodic.register("wangge.registry.tasks.drop_old_ledgers", every=3600)

        scene.register()
        permissions.register()
        demo.register()
        city.register()
        home.register()
        exports.register("persons", views.persons_export, sheet="人员")
        exports.register_file("roster_pdf", views.roster_pdf_export)
