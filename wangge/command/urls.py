from django.urls import path

from wangge.command import views

app_name = "command"

urlpatterns = [
    path("emergency/", views.emergency_area, name="emergency_area"),
]
