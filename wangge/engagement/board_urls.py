"""The public 百企公益 board at /board/ (reading needs no login)."""

from django.urls import path

from wangge.engagement import views_councils as councils
from wangge.engagement import views_partners as views
from wangge.engagement import views_surveys as surveys

app_name = "board"

urlpatterns = [
    path("", views.board, name="list"),
    path("<int:pk>/", views.board_task, name="task"),
    path("<int:pk>/claim/", views.board_claim, name="claim"),
    path("<int:pk>/done/", views.board_done, name="done"),
    path("photos/<int:pk>.jpg", views.board_photo, name="photo"),
    path("units/<int:pk>/", views.board_partner, name="partner"),
    path("council/", councils.public_record, name="council"),
    path("survey/<str:token>/", surveys.answer_by_link, name="survey"),
]
