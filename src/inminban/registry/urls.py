from django.urls import path

from . import exports, views, views_stays

app_name = "registry"

urlpatterns = [
    path("units/<str:code>/", views.unit, name="unit"),
    path("units/<str:code>/households.<str:fmt>", exports.unit_households, name="unit-export"),
    path("units/<str:code>/dwellings/new/", views.dwelling_new, name="dwelling-new"),
    path("units/<str:code>/households/new/", views.household_new, name="household-new"),
    path("households/<int:pk>/", views.household, name="household"),
    path("households/<int:pk>/birth/", views.birth, name="birth"),
    path("persons/<int:pk>/", views.person, name="person"),
    path("areas/<str:code>/", views.area, name="area"),
    path("my-household/", views.my_household, name="my-household"),
    *views_stays.urlpatterns,
]
