from django.conf import settings
from django.utils.translation import gettext as _

from wangge.accounts import demo
from wangge.core.demo import DEMO_PASSWORD
from wangge.core.management.base import WanggeCommand


class Command(WanggeCommand):
    help = "Print the demo logins and the address to open."

    def handle(self, *args, **options):
        self.stdout.write("")
        self.stdout.write(_("网格通（Wangge）演示镇：%(url)s") % {"url": settings.PUBLIC_BASE_URL + "/"})
        self.stdout.write(_("演示账号（密码均为 %(pw)s）：") % {"pw": DEMO_PASSWORD})
        for login in demo.logins():
            self.stdout.write(f"  {login.username:<12} {login.role:<12} {login.title}")
        self.stdout.write("")
