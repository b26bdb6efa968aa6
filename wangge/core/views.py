from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render


@login_required
def home(request):
    """Staff land on the grid tree; residents (who see no grids) on a page of what they can do."""
    if request.user.has_perm("grids.view_grid"):
        return redirect("grids:tree")
    return render(request, "home.html")


def healthz(request):
    """For load balancers: the process answers (no database touched)."""
    return HttpResponse("ok", content_type="text/plain")


def bad_request(request, exception=None):
    return render(request, "404.html", status=404)
