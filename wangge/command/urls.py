from django.urls import path

from wangge.command import views
from wangge.core.views import service_worker

app_name = "command"

urlpatterns = [
    path("screen/", views.screen, name="screen"),
    path("assessment/", views.assessment, name="assessment"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/new/", views.report_generate, name="report_generate"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/meetings/", views.meeting_record, name="meeting_record"),
    path("reports/<int:pk>/meetings/<int:meeting_pk>/decisions/", views.decision_add, name="decision_add"),
    path("decisions/", views.decision_list, name="decision_list"),
    path("decisions/<int:pk>/done/", views.decision_done, name="decision_done"),
    path("screen/<str:code>/", views.screen, name="screen_grid"),
    path("emergency/", views.emergency_area, name="emergency_area"),
    path("operations/", views.operation_list, name="operation_list"),
    path("operations/new/", views.operation_start, name="operation_start"),
    # served from the operations' folder so that it may keep their pages for a phone gone offline
    path("operations/sw.js", service_worker, {"scope": "/command/operations/"}, name="service_worker"),
    path("operations/<int:pk>/", views.operation_detail, name="operation_detail"),
    path("operations/<int:pk>/checks/<int:check_pk>/", views.check_update, name="check_update"),
    path("operations/<int:pk>/shelters/", views.operation_shelter, name="operation_shelter"),
    path("operations/<int:pk>/notice/", views.operation_notice, name="operation_notice"),
    path("operations/<int:pk>/close/", views.operation_close, name="operation_close"),
]
