from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


@login_required
def home(request):
    return redirect("grids:tree")


def bad_request(request, exception=None):
    return render(request, "404.html", status=404)
