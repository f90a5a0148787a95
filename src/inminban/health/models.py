"""Health checks: restricted data. Only the person checked, the health workers of the area and auditors see a
check's values; leaders and officers see that a check was done and, for an area, counts."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inminban.areas.models import Area
from inminban.registry.models import Household, Person, Stay

# A temperature from which a check counts as a fever in the counts leaders and officers see.
FEVER_FROM = Decimal("37.5")


class HealthCheck(models.Model):
    """One check of one person on one day, in the household where they sleep. The subject is a registered person,
    a guest with a registered stay, or a guest seen in the household with no stay registered for that night
    (recorded as such, not refused: the integrity scan looks at those). `__str__` and the audit never carry the
    values or a guest's name."""

    class Subject(models.TextChoices):
        RESIDENT = "resident", _("Resident")
        REGISTERED_GUEST = "registered_guest", _("Guest with a registered stay")
        UNREGISTERED_GUEST = "unregistered_guest", _("Guest with no registered stay")

    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="health_checks")
    subject = models.CharField(max_length=24, choices=Subject.choices)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="health_checks")
    stay = models.ForeignKey(Stay, null=True, blank=True, on_delete=models.PROTECT, related_name="health_checks")
    guest_name = models.CharField(
        max_length=128, blank=True, help_text=_("An unregistered guest's name; erased with the stays' details.")
    )
    checked_on = models.DateField()
    temperature_c = models.DecimalField(max_digits=3, decimal_places=1)
    symptoms = models.BooleanField(help_text=_("Any symptom on the screening list: yes or no."))
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    scope_area_lookup = "unit"
    scope_household_lookup = None  # a resident sees their own checks only, through the health selectors

    class Meta:
        ordering = ["-checked_on", "-id"]
        indexes = [
            models.Index(fields=["unit", "checked_on"], name="healthcheck_unit_day_idx"),
            models.Index(fields=["household", "checked_on"], name="healthcheck_household_day_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="healthcheck_one_subject",
                condition=Q(subject="resident", person__isnull=False, stay__isnull=True, guest_name="")
                | Q(subject="registered_guest", person__isnull=True, stay__isnull=False, guest_name="")
                | Q(subject="unregistered_guest", person__isnull=True, stay__isnull=True),
            ),
            models.CheckConstraint(
                name="healthcheck_temperature_plausible", condition=Q(temperature_c__gte=30, temperature_c__lte=45)
            ),
            # One check of one subject on one day (a double submission is refused, not counted twice).
            models.UniqueConstraint(
                fields=["person", "checked_on"], condition=Q(person__isnull=False), name="healthcheck_person_day"
            ),
            models.UniqueConstraint(
                fields=["stay", "checked_on"], condition=Q(stay__isnull=False), name="healthcheck_stay_day"
            ),
            models.UniqueConstraint(
                fields=["household", "checked_on", "guest_name"],
                condition=Q(subject="unregistered_guest") & ~Q(guest_name=""),
                name="healthcheck_guest_day",
            ),
        ]

    def __str__(self) -> str:
        return f"health check {self.pk} on {self.checked_on}"

    @property
    def fever(self) -> bool:
        return self.temperature_c >= FEVER_FROM
