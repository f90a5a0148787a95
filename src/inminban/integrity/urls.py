from django.urls import path

from . import views

app_name = "integrity"

urlpatterns = [
    path("integrity/", views.flags, name="flags"),
    path("integrity/flags/<int:pk>/", views.flag, name="flag"),
    path("integrity/rules/", views.rules, name="rules"),
]
