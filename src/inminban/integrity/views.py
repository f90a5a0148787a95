"""Pages for integrity flags (built by the integrity helper)."""

from django.http import HttpResponse

from inminban.web.decorators import page


@page
def flags(request):
    return HttpResponse("flags")


@page
def flag(request, pk: int):
    return HttpResponse("flag")
