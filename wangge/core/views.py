from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render


@login_required
def home(request):
    return redirect("grids:tree")


def healthz(request):
    """For load balancers: the process answers (no database touched)."""
    return HttpResponse("ok", content_type="text/plain")


def bad_request(request, exception=None):
    return render(request, "404.html", status=404)
