from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("units/<str:code>/", views.unit, name="unit"),
    path("households/<int:pk>/", views.household, name="household"),
    path("persons/<int:pk>/", views.person, name="person"),
    path("areas/<str:code>/", views.area, name="area"),
    path("my-household/", views.my_household, name="my-household"),
]
