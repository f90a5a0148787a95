"""What accounts keep beside Django's users: the sessions a user is logged in with, and one-time password codes."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class LoginSession(models.Model):
    """A login: which database session belongs to which user, so that a user can see and end their own sessions
    without decoding every session. Written at login, removed at logout; a row whose session has expired or been
    removed is no longer active (the session table is the truth)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField()
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="login_session_user_idx")]

    def __str__(self) -> str:
        return f"session of {self.user_id} from {self.created_at:%Y-%m-%d %H:%M}"


class PasswordCode(models.Model):
    """A one-time code an officer or administrator issues for an account (a new one, or one whose password was
    forgotten). Only its hash is kept; the code is shown once to the issuer. The account has no usable password
    until its holder sets one with the code, which then is used up."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_codes")
    code_hash = models.CharField(max_length=64)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True, help_text="When a newer code replaced it.")

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(used_at__isnull=True, voided_at__isnull=True),
                name="one_open_password_code_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"password code for {self.user_id} issued {self.issued_at:%Y-%m-%d %H:%M}"
