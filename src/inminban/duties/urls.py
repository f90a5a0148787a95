from django.urls import path

from . import exports, sheets, views

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
    path("acknowledgements/<int:pk>/undo/", views.acknowledgement_undo, name="acknowledgement-undo"),
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
    path("units/<str:code>/door-sheet/", sheets.unit_sheet, name="door-sheet"),
    path("units/<str:code>/door-sheet.<str:fmt>", sheets.unit_sheet_file, name="door-sheet-file"),
    path("campaigns/<int:pk>/units/<str:code>/door-sheet/", sheets.campaign_sheet, name="campaign-door-sheet"),
    path(
        "campaigns/<int:pk>/units/<str:code>/door-sheet.<str:fmt>",
        sheets.campaign_sheet_file,
        name="campaign-door-sheet-file",
    ),
    path("levies/<int:pk>/units/<str:code>/door-sheet/", sheets.levy_sheet, name="levy-door-sheet"),
    path("levies/<int:pk>/units/<str:code>/door-sheet.<str:fmt>", sheets.levy_sheet_file, name="levy-door-sheet-file"),
    path("campaigns/<int:pk>/shares.<str:fmt>", exports.campaign_shares, name="campaign-shares-export"),
    path("levies/<int:pk>/shares.<str:fmt>", exports.levy_shares, name="levy-shares-export"),
]
