from django.urls import path

from . import views

app_name = "entitlements"

urlpatterns = [
    path("programs/", views.program_list, name="programs"),
    path("programs/new/", views.program_create, name="program-create"),
    path("programs/<int:pk>/", views.program_detail, name="program"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:pk>/units/<str:code>/", views.cycle_unit, name="cycle-unit"),
]
