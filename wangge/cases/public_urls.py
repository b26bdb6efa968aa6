"""The resident's side, at /report/ (the public boards' QR codes point here)."""

from django.urls import path

from wangge.cases import public_views as views

app_name = "report"
urlpatterns = [
    path("", views.report, name="start"),
    path("questions/", views.category_questions, name="questions"),
    path("grids.geojson", views.grid_outlines, name="grids"),
    path("nearby/", views.nearby, name="nearby"),
    path("nearby/follow/", views.follow_nearby, name="follow_nearby"),
    path("case/<str:token>/", views.follow, name="follow"),
    path("case/<str:token>/rate/", views.rate, name="rate"),
    path("case/<str:token>/photo/<int:pk>/", views.public_photo, name="photo"),
]
