from django.contrib import admin
from django.urls import include, path

from inminban.api.v1 import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
    path("", include("inminban.audit.urls")),
    path("", include("inminban.stamps.urls")),
    path("", include("inminban.duties.urls")),
    path("", include("inminban.entitlements.urls")),
    path("", include("inminban.governance.urls")),
    path("", include("inminban.health.urls")),
    path("", include("inminban.integrity.urls")),
    path("", include("inminban.accounts.urls")),
    path("", include("inminban.registry.urls")),
    path("", include("inminban.web.urls")),
]

handler500 = "inminban.web.errors.server_error"
