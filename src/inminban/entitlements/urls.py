from django.urls import path

from . import views, views_clearances, views_distribution, voucher_sheets

app_name = "entitlements"

urlpatterns = [
    path("programs/", views.program_list, name="programs"),
    path("programs/new/", views.program_create, name="program-create"),
    path("programs/<int:pk>/", views.program_detail, name="program"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:pk>/units/<str:code>/", views.cycle_unit, name="cycle-unit"),
    path("counters/", views_distribution.counter_list, name="counters"),
    path("counters/<str:code>/", views_distribution.counter_detail, name="counter"),
    path("counters/<str:code>/offline-pack.zip", views_distribution.counter_pack, name="counter-pack"),
    path("cycles/<int:pk>/reconciliation/", views_distribution.cycle_reconciliation, name="reconciliation"),
    path(
        "cycles/<int:pk>/reconciliation.<str:fmt>",
        views_distribution.cycle_reconciliation_export,
        name="reconciliation-export",
    ),
    path("cycles/<int:pk>/units/<str:code>/vouchers.pdf", voucher_sheets.unit_vouchers_pdf, name="unit-vouchers"),
    path("clearances/new/", views_clearances.clearance_request_page, name="clearance-new"),
    path("clearances/<int:pk>/", views_clearances.clearance_detail, name="clearance"),
    path("units/<str:code>/clearance-risks/", views_clearances.clearance_risks_page, name="clearance-risks"),
    path("appeals/", views_clearances.appeal_list, name="appeals"),
    path("appeals/new/", views_clearances.appeal_new, name="appeal-new"),
    path("appeals/<int:pk>/", views_clearances.appeal_detail, name="appeal"),
    path("appeals/<int:pk>/document", views_clearances.appeal_attachment, name="appeal-document"),
]
