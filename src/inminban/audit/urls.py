from django.urls import path

from . import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit-log"),
    path("audit/checkpoint", views.checkpoint, name="audit-checkpoint"),
    path("audit/key", views.key, name="audit-key"),
    path("audit/proof", views.proof, name="audit-proof"),
]
