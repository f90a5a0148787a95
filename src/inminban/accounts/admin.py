"""Failed logins in the Django admin: to look at, and to unlock through the audited service (AXES_ENABLE_ADMIN is
off, so that axes' own admin cannot delete them unaudited)."""

from axes.models import AccessAttempt
from django.contrib import admin, messages

from inminban.common.errors import DomainError

from .services import login_unlock


@admin.register(AccessAttempt)
class AccessAttemptAdmin(admin.ModelAdmin):
    list_display = ["username", "ip_address", "failures_since_start", "attempt_time", "user_agent"]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    fields = ["username", "ip_address", "user_agent", "failures_since_start", "attempt_time", "path_info"]
    readonly_fields = fields
    actions = ["unlock_accounts", "unlock_addresses"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _unlock(self, request, names: set[str], field: str) -> None:
        for name in sorted(names):
            try:
                login_unlock(actor=request.user, **{field: name})
            except DomainError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                self.message_user(request, f"Unlocked {name}.", messages.SUCCESS)

    @admin.action(description="Unlock the selected accounts (every address)")
    def unlock_accounts(self, request, queryset):
        self._unlock(request, {name for name in queryset.values_list("username", flat=True) if name}, "username")

    @admin.action(description="Unlock the selected addresses (every account)")
    def unlock_addresses(self, request, queryset):
        self._unlock(request, {ip for ip in queryset.values_list("ip_address", flat=True) if ip}, "address")
