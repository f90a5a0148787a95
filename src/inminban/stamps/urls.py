from django.urls import path

from . import views

app_name = "stamps"

urlpatterns = [
    path("stamps/", views.stamp_list, name="list"),
    path("stamps/trust-list", views.trust_list, name="trust-list"),
    path("stamps/status/<str:kid>", views.status_list, name="status-list"),
    path("stamps/<uuid:serial>/", views.stamp_page, name="page"),
    path("stamps/<uuid:serial>.pdf", views.stamp_pdf, name="pdf"),
    path("stamps/<uuid:serial>/revoke", views.stamp_revoke, name="revoke"),
    path("verify/", views.verify_page, name="verify"),
    path("verify/decode-qr", views.verify_decode_qr, name="decode-qr"),
]
