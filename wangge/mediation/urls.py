from django.urls import path

from wangge.mediation import views

app_name = "mediation"

urlpatterns = [
    path("", views.dispute_list, name="list"),
    path("new/", views.dispute_new, name="new"),
    path("<int:pk>/", views.dispute_detail, name="detail"),
    path("<int:pk>/agreement.pdf", views.agreement_pdf, name="agreement"),
    path("signatures/<int:pk>/", views.signature_image, name="signature"),
    path("monthly/", views.monthly, name="monthly"),
]
