from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView

from wangge.api import api
from wangge.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("messages/", core_views.message_centre, name="messages"),
    path("me/", core_views.me_menu, name="me_menu"),
    path("exports/<int:pk>/", core_views.export_job, name="export_job"),
    path("health/", core_views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("wangge.accounts.urls")),
    path("grids/", include("wangge.grids.urls")),
    path("registry/", include("wangge.registry.urls")),
    path("audit/", include("wangge.audit.urls")),
    path("cases/", include("wangge.cases.urls")),
    path("fieldwork/", include("wangge.fieldwork.urls")),
    path("mediation/", include("wangge.mediation.urls")),
    path("command/", include("wangge.command.urls")),
    path("points/", include("wangge.engagement.urls")),
    path("board/", include("wangge.engagement.board_urls")),
    path("report/", include("wangge.cases.public_urls")),
    # the follow link as an SMS carries it: short enough for one message, tappable on any phone
    path("r/<str:token>", RedirectView.as_view(pattern_name="report:follow"), name="follow_short"),
    path("open311/v2/", include("wangge.open311.urls")),
    path("captcha/", include("captcha.urls")),
    path("api/", api.urls),
]

if settings.BENCH_VIEWS:  # the benchmarks' baseline, never mounted otherwise
    urlpatterns.append(path("bench/insert", core_views.bench_insert))
