from django.urls import path

from . import views

app_name = "duties"

urlpatterns = [
    path("day/", views.day, name="day"),
    path("duties/", views.dashboard, name="dashboard"),
    path("duties/waivers/", views.waivers, name="waivers"),
    path("duties/exemptions/", views.exemptions, name="exemptions"),
    path("directives/new/", views.directive_create, name="directive-create"),
    path("directives/<int:pk>/", views.directive_detail, name="directive"),
    path("directives/<int:pk>/acknowledge/", views.directive_acknowledge, name="directive-acknowledge"),
    path("acknowledgements/<int:pk>/confirm/", views.acknowledgement_confirm, name="acknowledgement-confirm"),
    path("campaigns/new/", views.campaign_create, name="campaign-create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/units/<str:code>/", views.campaign_unit, name="campaign-unit"),
    path("levies/new/", views.levy_create, name="levy-create"),
    path("levies/<int:pk>/", views.levy_detail, name="levy"),
    path("levies/<int:pk>/units/<str:code>/", views.levy_unit, name="levy-unit"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("shares/<int:pk>/", views.share_detail, name="share"),
    path("shares/<int:pk>/confirm/", views.share_confirm, name="share-confirm"),
    path("waivers/<int:pk>/decide/", views.waiver_decide, name="waiver-decide"),
    path("deliveries/<int:pk>/receipt/", views.receipt, name="receipt"),
]
