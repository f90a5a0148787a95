"""The household registry. Every record that changes over time carries `since` and an exclusive `until`
(empty while current), so the registry can answer who lived where on any date."""

from datetime import date, time

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from inminban.areas.models import Area


class DatedQuerySet(models.QuerySet):
    def current_on(self, on: date) -> "DatedQuerySet":
        return self.filter(since__lte=on).filter(Q(until__isnull=True) | Q(until__gt=on))


class Dwelling(models.Model):
    """A home: an apartment, a row house or a detached house, inside one unit."""

    class Kind(models.TextChoices):
        ROW_HOUSE = "row", _("Row house")
        DETACHED = "detached", _("Detached house")
        APARTMENT = "apartment", _("Apartment")

    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="dwellings")
    address = models.CharField(max_length=255)
    building = models.CharField(max_length=64, blank=True)
    apartment = models.CharField(max_length=32, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.APARTMENT)
    floor_area_m2 = models.PositiveSmallIntegerField(null=True, blank=True)

    scope_area_lookup = "unit"
    scope_household_lookup = "households"

    class Meta:
        ordering = ["unit_id", "address", "building", "apartment"]

    def __str__(self) -> str:
        parts = [self.address, self.building, self.apartment]
        return " ".join(part for part in parts if part)


class Household(models.Model):
    """A household registered in a unit. `unit` and `dwelling` are where it lives now; Residence keeps history."""

    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="households")
    dwelling = models.ForeignKey(Dwelling, null=True, blank=True, on_delete=models.PROTECT, related_name="households")
    head = models.ForeignKey("Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    number = models.CharField(max_length=32, help_text=_("Registration number of the household."))
    registered_on = models.DateField()
    dissolved_on = models.DateField(null=True, blank=True)

    scope_area_lookup = "unit"
    scope_household_lookup = "pk"

    class Meta:
        ordering = ["unit_id", "number"]
        # A constraint rather than unique=True: on PostgreSQL that adds a second, LIKE-pattern index nothing uses.
        constraints = [models.UniqueConstraint(fields=["number"], name="household_number_unique")]

    def __str__(self) -> str:
        return self.number


class Residence(models.Model):
    """Where a household lived from `since` until (exclusive) `until`."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="residences")
    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", db_index=False)  # residence_unit_idx
    dwelling = models.ForeignKey(Dwelling, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    since = models.DateField()
    until = models.DateField(null=True, blank=True)

    objects = DatedQuerySet.as_manager()

    scope_area_lookup = "unit"
    scope_household_lookup = "household"

    class Meta:
        ordering = ["household_id", "since"]
        indexes = [models.Index(fields=["unit", "since"], name="residence_unit_idx")]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(until__isnull=True), name="one_open_residence"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} in {self.unit_id} from {self.since}"


class Person(models.Model):
    """A person on the registry. `household` is the current (or, after moving away, the last) household."""

    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")

    class Status(models.TextChoices):
        RESIDENT = "resident", _("Resident")
        MOVED_AWAY = "moved_away", _("Moved away")
        DECEASED = "deceased", _("Deceased")

    family_name = models.CharField(max_length=64)
    given_name = models.CharField(max_length=64)
    birth_date = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    national_id = models.CharField(max_length=32, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RESIDENT)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="persons")

    scope_area_lookup = "household__unit"
    scope_household_lookup = "household"

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [models.UniqueConstraint(fields=["national_id"], name="person_national_id_unique")]

    def __str__(self) -> str:
        return f"{self.family_name}{self.given_name}"

    @property
    def full_name(self) -> str:
        return str(self)


class Membership(models.Model):
    """A person belonging to a household, with their relation to its head, from `since` until `until`."""

    class Relation(models.TextChoices):
        HEAD = "head", _("Head")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        SIBLING = "sibling", _("Sibling")
        GRANDCHILD = "grandchild", _("Grandchild")
        GRANDPARENT = "grandparent", _("Grandparent")
        CHILD_IN_LAW = "child_in_law", _("Son/daughter-in-law")
        OTHER_RELATIVE = "other_relative", _("Other relative")
        LODGER = "lodger", _("Lodger")

    # Indexed by membership_household_idx (household, since).
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    relation = models.CharField(max_length=16, choices=Relation.choices)
    since = models.DateField()
    until = models.DateField(null=True, blank=True)

    objects = DatedQuerySet.as_manager()

    scope_area_lookup = "household__unit"
    scope_household_lookup = "household"

    class Meta:
        ordering = ["household_id", "since", "id"]
        indexes = [models.Index(fields=["household", "since"], name="membership_household_idx")]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(until__isnull=True), name="one_open_membership"),
            models.CheckConstraint(
                name="membership_dates_ordered", condition=Q(until__isnull=True) | Q(until__gt=models.F("since"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.household_id} ({self.relation}) from {self.since}"


class Occupation(models.Model):
    """Where a person works and as what, from `since` until `until`."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="occupations")
    workplace = models.CharField(max_length=255)
    job_title = models.CharField(max_length=128)
    since = models.DateField()
    until = models.DateField(null=True, blank=True)

    objects = DatedQuerySet.as_manager()

    scope_area_lookup = "person__household__unit"
    scope_household_lookup = "person__household"

    class Meta:
        ordering = ["person_id", "-since"]

    def __str__(self) -> str:
        return f"{self.job_title}, {self.workplace}"


class DeclaredIncome(models.Model):
    """Income a person declared: an amount per period, valid from `since` until `until`."""

    class Period(models.TextChoices):
        MONTH = "month", _("per month")
        YEAR = "year", _("per year")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="incomes")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="KPW")
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.MONTH)
    since = models.DateField()
    until = models.DateField(null=True, blank=True)

    objects = DatedQuerySet.as_manager()

    scope_area_lookup = "person__household__unit"
    scope_household_lookup = "person__household"

    class Meta:
        ordering = ["person_id", "-since"]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} {self.period}"


class Move(models.Model):
    """A recorded move: a whole household to another dwelling, or one person to another household."""

    class Kind(models.TextChoices):
        HOUSEHOLD = "household", _("Household moved")
        PERSON = "person", _("Person moved")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    on = models.DateField()
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="moves")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="moves")
    from_unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    from_dwelling = models.ForeignKey(Dwelling, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_dwelling = models.ForeignKey(Dwelling, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=255, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    # Both the unit it left and the unit it joined may see a move.
    scope_area_lookup = ("from_unit", "to_unit")
    scope_household_lookup = "household"

    class Meta:
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} move on {self.on}"


class StayRules(models.Model):
    """When a host household must register an overnight guest, as data per office: by `deadline_time` on the day of
    arrival plus `deadline_days`. An office without a row works by the nearest office above that has one, else by
    the field defaults."""

    office = models.OneToOneField("areas.Office", on_delete=models.PROTECT, related_name="stay_rules")
    deadline_time = models.TimeField(default=time(22, 0), help_text=_("Registrations are due by this time."))
    deadline_days = models.PositiveSmallIntegerField(
        default=0, help_text=_("Days after the day of arrival; 0 means on the day of arrival.")
    )
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()

    scope_area_lookup = "office__area"

    class Meta:
        verbose_name_plural = "stay rules"

    def __str__(self) -> str:
        return f"stay rules of office {self.office_id}"


class Stay(models.Model):
    """An overnight guest registered by a host household. A guest is not a registry person: what identifies them
    (name, where from, document number) is kept only for a number of days after departure, then blanked by
    `inminban stays purge`; the row stays, so the counts do. `__str__` and the audit never carry those fields."""

    class Purpose(models.TextChoices):
        FAMILY = "family", _("Visiting family")
        WORK = "work", _("Work")
        STUDY = "study", _("Study")
        TRADE = "trade", _("Trade")
        MEDICAL = "medical", _("Medical care")
        OTHER = "other", _("Other")

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="stays")
    # The host's unit when the stay was registered: where it is counted and who sees it.
    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    hosts = models.ManyToManyField(Person, related_name="hosted_stays", blank=True)
    guest_name = models.CharField(max_length=128, blank=True)
    origin_area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    origin_address = models.CharField(max_length=255, blank=True)
    document_number = models.CharField(max_length=32, blank=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    purpose_note = models.CharField(max_length=200, blank=True)
    arrives_on = models.DateField()
    departs_on = models.DateField(help_text=_("Expected departure."))
    departed_on = models.DateField(null=True, blank=True, help_text=_("Actual departure, once it happened."))
    deadline = models.DateTimeField(help_text=_("When registration was due, under the office's rule."))
    registered_at = models.DateTimeField()
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    late = models.BooleanField(default=False, help_text=_("Registered after the deadline."))
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purged_at = models.DateTimeField(null=True, blank=True, help_text=_("When the guest's details were erased."))

    scope_area_lookup = "unit"
    scope_household_lookup = "household"

    class Meta:
        ordering = ["-arrives_on", "-id"]
        indexes = [
            models.Index(fields=["unit", "arrives_on"], name="stay_unit_arrival_idx"),
            models.Index(fields=["household", "arrives_on"], name="stay_household_arrival_idx"),
        ]
        constraints = [
            models.CheckConstraint(name="stay_departs_after_arrival", condition=Q(departs_on__gte=F("arrives_on"))),
            models.CheckConstraint(
                name="stay_departed_after_arrival",
                condition=Q(departed_on__isnull=True) | Q(departed_on__gte=F("arrives_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"stay {self.pk} ({self.arrives_on} – {self.departs_on})"
