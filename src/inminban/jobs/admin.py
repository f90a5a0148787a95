from django.contrib import admin

from .models import Job, Schedule


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "status", "percent", "message", "attempts", "lease_owner", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["kind", "dedupe_key"]
    # Jobs change only through the runner and the services; the admin is for looking.
    readonly_fields = [field.name for field in Job._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["kind", "interval_seconds", "next_run_at", "enabled"]
    fields = ["kind", "params", "interval_seconds", "next_run_at", "enabled"]
    readonly_fields = ["kind"]

    def has_add_permission(self, request):
        return False
