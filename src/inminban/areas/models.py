from django.conf import settings
from django.db import models
from django.db.models import Q


class AreaLevel(models.Model):
    """A tier of the area tree (country, province, city/county, district, unit). Data, so deployments can differ."""

    code = models.SlugField(max_length=32, unique=True)
    rank = models.PositiveSmallIntegerField(unique=True, help_text="0 for the root tier, growing downwards.")
    name_ko = models.CharField(max_length=64)
    name_en = models.CharField(max_length=64)
    is_unit = models.BooleanField(default=False, help_text="Areas of this tier are neighborhood units.")

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name_en


class Area(models.Model):
    """A node of the area tree. `path` is the materialised path of codes, so a subtree is one prefix query."""

    level = models.ForeignKey(AreaLevel, on_delete=models.PROTECT, related_name="areas")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    code = models.CharField(max_length=64, unique=True)
    name_ko = models.CharField(max_length=128)
    name_en = models.CharField(max_length=128)
    path = models.CharField(max_length=512, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False, default=0)

    scope_area_lookup = ""

    class Meta:
        ordering = ["path"]
        indexes = [models.Index(fields=["path"], name="area_path_prefix_idx", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.name_en} ({self.code})"

    @property
    def is_unit(self) -> bool:
        return self.level.is_unit

    def is_within(self, other: "Area") -> bool:
        return self.path.startswith(other.path)


class Office(models.Model):
    """An administrative office (district office, people's committee) attached to an area; it governs the subtree."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="offices")
    code = models.CharField(max_length=64, unique=True)
    name_ko = models.CharField(max_length=128)
    name_en = models.CharField(max_length=128)

    scope_area_lookup = "area"

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_en


class Role(models.TextChoices):
    RESIDENT = "resident", "Resident"
    LEADER = "leader", "Unit leader"
    OFFICER = "officer", "Officer"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Administrator"
    CLERK = "clerk", "Counter clerk"
    SCHOOL_CLERK = "school_clerk", "School clerk"
    RECRUITER = "recruiter", "Recruitment officer"
    HEALTH_WORKER = "health_worker", "Health worker"


class RoleAssignment(models.Model):
    """What a user may do where. A resident is tied to a person; a leader to a unit; an officer to an office."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=16, choices=Role.choices)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="role_assignments")
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="officers")
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="role_assignments"
    )
    since = models.DateField()
    until = models.DateField(null=True, blank=True, help_text="Exclusive end; empty while the assignment holds.")

    class Meta:
        ordering = ["user_id", "role"]
        constraints = [
            models.CheckConstraint(name="resident_has_person", condition=~Q(role="resident") | Q(person__isnull=False)),
            models.CheckConstraint(name="officer_has_office", condition=~Q(role="officer") | Q(office__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} @ {self.area.code}"
