from django.urls import path

from . import views

app_name = "health"

urlpatterns = [
    path("health/", views.checks, name="checks"),
    path("health/new/", views.check_new, name="check-new"),
]
