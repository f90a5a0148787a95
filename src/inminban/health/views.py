"""Pages for health checks (built by the health helper)."""

from django.http import HttpResponse

from inminban.web.decorators import page


@page
def checks(request):
    return HttpResponse("checks")


@page
def check_new(request):
    return HttpResponse("new check")
