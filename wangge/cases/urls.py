from django.urls import path

from wangge.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.worker_report, name="new"),
    path("dispatch/", views.bulk_dispatch, name="bulk_dispatch"),
    path("photo/<int:pk>/", views.photo, name="photo"),
    path("figures/", views.figures, name="figures"),
    path("calendar/", views.work_calendar, name="calendar"),
    path("figures/<slug:key>/<slug:part>/", views.figure_cases, name="figure_cases"),
    path("12345/import/", views.hotline_import, name="hotline_import"),
    path("return-calls/", views.return_calls, name="return_calls"),
    path("today.geojson", views.today_points, name="today_points"),
    path("<str:code>/phone/", views.call_phone, name="call_phone"),
    path("12345/answers.xlsx", views.hotline_answers, name="hotline_answers"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/act/<slug:action>/", views.act, name="act"),
    path("<str:code>/dispute/", views.dispute_open, name="dispute_open"),
    path("<str:code>/dispute/link/", views.dispute_link, name="dispute_link"),
]
