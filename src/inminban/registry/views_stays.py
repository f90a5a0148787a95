"""Pages for overnight stays (built by the stays helper)."""

from django.http import HttpResponse
from django.urls import path

from inminban.web.decorators import page


@page
def stays(request):
    return HttpResponse("stays")


@page
def stay_new(request):
    return HttpResponse("new stay")


@page
def stay(request, pk: int):
    return HttpResponse("stay")


urlpatterns = [
    path("stays/", stays, name="stays"),
    path("stays/new/", stay_new, name="stay-new"),
    path("stays/<int:pk>/", stay, name="stay"),
]
