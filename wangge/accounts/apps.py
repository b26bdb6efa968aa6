from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "wangge.accounts"
    label = "accounts"
    verbose_name = _("账号与辖区")

    def ready(self) -> None:
        from wangge.accounts import city, demo, scene

        scene.register()
        demo.register()
        city.register()
