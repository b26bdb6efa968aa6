from django.urls import path, register_converter

from wangge.open311 import views


class Format:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(Format, "fmt")

app_name = "open311"
urlpatterns = [
    path("discovery.<fmt:fmt>", views.discovery, name="discovery"),
    path("services.<fmt:fmt>", views.service_list, name="services"),
    path("services/<slug:code>.<fmt:fmt>", views.service_definition, name="service"),
    path("requests.<fmt:fmt>", views.requests_, name="requests"),
    path("requests/<str:code>.<fmt:fmt>", views.request_detail, name="request"),
    path("tokens/<str:value>.<fmt:fmt>", views.token, name="token"),
    path("media/<str:ref>.jpg", views.media, name="media"),
]
