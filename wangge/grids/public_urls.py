from django.shortcuts import render
from django.urls import path

from wangge.grids.models import Grid


def report_placeholder(request):
    """Where a board's QR code lands; the resident reporting page arrives with the cases module."""
    grid = Grid.objects.filter(code=request.GET.get("grid", "")).select_related("level").first()
    return render(request, "grids/report_placeholder.html", {"grid": grid})


app_name = "report"
urlpatterns = [path("", report_placeholder, name="start")]
