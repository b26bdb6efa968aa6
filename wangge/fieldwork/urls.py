from django.urls import path

from wangge.core.views import service_worker
from wangge.fieldwork import views

app_name = "fieldwork"

urlpatterns = [
    path("", views.round_page, name="round"),
    path("sw.js", service_worker, {"scope": "/fieldwork/"}, name="service_worker"),
    path("households/<int:household_id>/visit/", views.visit_form, name="visit_form"),
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("photos/<int:pk>/", views.visit_photo, name="visit_photo"),
    path("coverage/", views.coverage, name="coverage"),
    path("rules/", views.rules, name="rules"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("services/", views.service_list, name="services"),
    path("services/new/", views.service_new, name="service_new"),
    path("services/<int:pk>/", views.service_detail, name="service_detail"),
    path("patrols/", views.patrol_list, name="patrols"),
    path("patrols/<int:pk>/", views.patrol_detail, name="patrol_detail"),
    path("patrols/analysis/", views.patrol_analysis, name="patrol_analysis"),
    path("patrols/public/<str:code>/", views.patrol_public, name="patrol_public"),
]
