"""Governance: how a unit consents to (or recalls) its leader, how residents carry petitions upward, and what each
person is told about it.

Consent votes keep a secret ballot. Who took part is a `Participation` row (to refuse a second ballot); what was
chosen exists only as counters in `Tally`, one row per vote, channel and choice, incremented in place. No row holds a
household's choice, and nothing (an id, a timestamp, an order) ties a participation to an increment."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from inminban.areas.models import Area, Office, RoleAssignment
from inminban.registry.models import Household, Person

PERCENT = {"max_digits": 5, "decimal_places": 2, "validators": [MinValueValidator(0), MaxValueValidator(100)]}


class Electorate(models.TextChoices):
    HOUSEHOLD = "household", _("One vote per household")
    ADULT = "adult", _("One vote per adult resident")


class GovernanceRules(models.Model):
    """An office's rules for consent votes, recalls and petitions. An office without a row takes the nearest office
    above it that has one, and the defaults below where none has (`rules.rules_for`)."""

    office = models.OneToOneField(Office, on_delete=models.PROTECT, related_name="governance_rules")
    electorate = models.CharField(max_length=16, choices=Electorate.choices, default=Electorate.HOUSEHOLD)
    adult_age = models.PositiveSmallIntegerField(default=17, validators=[MaxValueValidator(30)])
    quorum_percent = models.DecimalField(**PERCENT, default=Decimal("50"), help_text=_("Turnout needed."))
    approval_percent = models.DecimalField(
        **PERCENT, default=Decimal("50"), help_text=_("Yes must be more than this share of the ballots cast.")
    )
    window_days = models.PositiveSmallIntegerField(default=7, validators=[MinValueValidator(1), MaxValueValidator(60)])
    term_months = models.PositiveSmallIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    renomination_wait_days = models.PositiveSmallIntegerField(
        default=365, help_text=_("How long a rejected nominee cannot be nominated again for the same unit.")
    )
    recall_signature_percent = models.DecimalField(
        **PERCENT, default=Decimal("30"), help_text=_("Share of the unit's households whose signatures open a recall.")
    )
    escalation_percent = models.DecimalField(
        **PERCENT,
        default=Decimal("40"),
        help_text=_(
            "A petition addressed to this office goes to the office above once this share of its units signed."
        ),
    )
    response_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Days this office has to answer a petition before it goes to the office above."),
    )
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    scope_area_lookup = "office__area"

    def __str__(self) -> str:
        return f"governance rules of {self.office.code}"


# Nominations, consent votes, appointments -----------------------------------------------------------------------


class Nomination(models.Model):
    """A district office proposes a resident of a unit as its leader; the unit's consent vote decides."""

    class Status(models.TextChoices):
        VOTING = "voting", _("Vote open")
        APPROVED = "approved", _("Approved by the unit")
        REJECTED = "rejected", _("Rejected by the unit")
        WITHDRAWN = "withdrawn", _("Withdrawn by the office")

    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="nominations")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="nominations")
    nominee = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="nominations")
    statement = models.TextField(max_length=2000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.VOTING)
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    nominated_at = models.DateTimeField()

    scope_area_lookup = "unit"
    scope_household_lookup = None

    class Meta:
        ordering = ["-nominated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(status="voting"), name="one_open_nomination_per_unit")
        ]

    def __str__(self) -> str:
        return f"nomination of person {self.nominee_id} for {self.unit_id}"


class ConsentVote(models.Model):
    """A unit's vote on a nomination (consent) or on its sitting leader (recall). The rules in force when it opened
    are copied onto it, and the electorate is counted then, so a later change of rules or registry cannot move the
    result."""

    class Kind(models.TextChoices):
        CONSENT = "consent", _("Consent to a nominee")
        RECALL = "recall", _("Recall of the leader")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("vote status", "Open")
        CLOSED = "closed", _("Closed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="consent_votes")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="consent_votes")
    nomination = models.OneToOneField(Nomination, null=True, blank=True, on_delete=models.PROTECT, related_name="vote")
    recall_petition = models.OneToOneField(
        "Petition", null=True, blank=True, on_delete=models.PROTECT, related_name="recall_vote"
    )
    leader_assignment = models.ForeignKey(
        RoleAssignment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For a recall: the leader's role assignment that a successful recall ends."),
    )
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    electorate = models.CharField(max_length=16, choices=Electorate.choices)
    adult_age = models.PositiveSmallIntegerField()
    quorum_percent = models.DecimalField(**PERCENT)
    approval_percent = models.DecimalField(**PERCENT)
    electorate_size = models.PositiveIntegerField(help_text=_("Households (or adults) entitled to vote at opening."))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    # The result, written once when the window closes.
    closed_at = models.DateTimeField(null=True, blank=True)
    ballots = models.PositiveIntegerField(null=True, blank=True)
    yes = models.PositiveIntegerField(null=True, blank=True)
    no = models.PositiveIntegerField(null=True, blank=True)
    abstain = models.PositiveIntegerField(null=True, blank=True)
    quorum_met = models.BooleanField(null=True, blank=True)
    approval_met = models.BooleanField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)

    scope_area_lookup = "unit"
    scope_household_lookup = None

    class Meta:
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="vote_window_ends_after_start", condition=Q(closes_at__gt=models.F("opens_at"))
            ),
            models.UniqueConstraint(fields=["unit"], condition=Q(status="open"), name="one_open_vote_per_unit"),
            models.CheckConstraint(
                name="vote_has_one_subject",
                condition=(
                    Q(kind="consent", nomination__isnull=False, recall_petition__isnull=True)
                    | Q(kind="recall", nomination__isnull=True, recall_petition__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} vote in {self.unit_id}"


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    PAPER = "paper", _("Paper tally of a unit meeting")


class Choice(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    ABSTAIN = "abstain", _("Abstain")


class PaperTally(models.Model):
    """A signed paper tally of a unit meeting, entered by an officer: totals and the sheet's number. The households
    it counts are its `Participation` rows (channel paper), so none of them can vote online afterwards."""

    vote = models.ForeignKey(ConsentVote, on_delete=models.PROTECT, related_name="paper_tallies")
    sheet_number = models.CharField(max_length=40)
    yes = models.PositiveIntegerField()
    no = models.PositiveIntegerField()
    abstain = models.PositiveIntegerField()
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField()

    scope_area_lookup = "vote__unit"
    scope_household_lookup = None

    class Meta:
        ordering = ["vote_id", "sheet_number"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "sheet_number"], name="one_entry_per_tally_sheet"),
        ]

    def __str__(self) -> str:
        return f"tally sheet {self.sheet_number}"


class Participation(models.Model):
    """That a household (or, when adults vote, a person) took part in a vote: online, or counted in a paper tally.
    It says nothing of the choice, and carries no time of its own, so its order cannot be matched against the
    tally counters."""

    vote = models.ForeignKey(ConsentVote, on_delete=models.PROTECT, related_name="participations")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    paper_tally = models.ForeignKey(
        PaperTally, null=True, blank=True, on_delete=models.PROTECT, related_name="participations"
    )

    scope_area_lookup = "vote__unit"
    scope_household_lookup = "household"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vote", "household"], condition=Q(person__isnull=True), name="one_ballot_per_household"
            ),
            models.UniqueConstraint(
                fields=["vote", "person"], condition=Q(person__isnull=False), name="one_ballot_per_adult"
            ),
            models.CheckConstraint(
                name="paper_participation_has_tally",
                condition=Q(channel="paper", paper_tally__isnull=False) | Q(channel="online", paper_tally__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"participation of {self.household_id} in vote {self.vote_id}"


class Tally(models.Model):
    """The running count of one choice on one channel of one vote. Ballots add one to it in place
    (UPDATE … SET count = count + 1); it is the only place a choice is written."""

    vote = models.ForeignKey(ConsentVote, on_delete=models.PROTECT, related_name="tallies")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    choice = models.CharField(max_length=16, choices=Choice.choices)
    count = models.PositiveIntegerField(default=0)

    scope_area_lookup = "vote__unit"
    scope_household_lookup = None

    class Meta:
        ordering = ["vote_id", "channel", "choice"]
        constraints = [models.UniqueConstraint(fields=["vote", "channel", "choice"], name="one_counter_per_choice")]

    def __str__(self) -> str:
        return f"{self.channel} {self.choice} of vote {self.vote_id}"


class Appointment(models.Model):
    """A unit's leader by consent: from `starts_on` for a term; the leader role assignment it made, and the one it
    ended."""

    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="appointments")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="appointments")
    nomination = models.OneToOneField(Nomination, on_delete=models.PROTECT, related_name="appointment")
    starts_on = models.DateField()
    ends_on = models.DateField(help_text=_("Exclusive end of the term."))
    role_assignment = models.OneToOneField(RoleAssignment, on_delete=models.PROTECT, related_name="appointment")
    ended_assignment = models.ForeignKey(
        RoleAssignment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recalled_on = models.DateField(null=True, blank=True)

    scope_area_lookup = "unit"
    scope_household_lookup = None

    class Meta:
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return f"appointment of person {self.person_id} in {self.unit_id}"


# Petitions ---------------------------------------------------------------------------------------------------------


class Petition(models.Model):
    """A resident's petition to the office of their district, co-signed by households of the addressed area. It
    goes to the office above when enough units signed or when its office did not answer in time; a recall petition
    stays in its unit and opens a recall vote when enough of the unit's households signed."""

    class Subject(models.TextChoices):
        OBLIGATION = "obligation", _("A campaign, levy or directive")
        CONDUCT = "conduct", _("An official's conduct")
        GENERAL = "general", _("A general matter")
        RECALL = "recall", _("Recall of the unit leader")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("petition status", "Open")
        ANSWERED = "answered", _("Answered")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    subject = models.CharField(max_length=16, choices=Subject.choices)
    title = models.CharField(max_length=200)
    text = models.TextField(max_length=4000)
    campaign = models.ForeignKey(
        "duties.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="petitions"
    )
    levy = models.ForeignKey("duties.Levy", null=True, blank=True, on_delete=models.PROTECT, related_name="petitions")
    directive = models.ForeignKey(
        "duties.Directive", null=True, blank=True, on_delete=models.PROTECT, related_name="petitions"
    )
    official_name = models.CharField(
        max_length=150, blank=True, help_text=_("For a conduct petition: whom it is about.")
    )
    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", help_text=_("Where it was opened."))
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", help_text=_("The opening household.")
    )
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="petitions", help_text=_("Addressed to."))
    addressed_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text=_("The addressed office answers by then, or the petition goes up."))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    signature_count = models.PositiveIntegerField(default=0)

    scope_area_lookup = ("unit", "office__area")
    scope_household_lookup = None

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["status", "due_at"], name="petition_open_due_idx")]
        constraints = [
            models.CheckConstraint(
                name="petition_names_at_most_one_obligation",
                condition=~Q(campaign__isnull=False, levy__isnull=False)
                & ~Q(campaign__isnull=False, directive__isnull=False)
                & ~Q(levy__isnull=False, directive__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.title


class Signature(models.Model):
    """One household's signature on a petition, while not withdrawn. Who signed is seen by the addressed offices and
    auditors only; leaders see counts."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="signatures")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    scope_area_lookup = "unit"
    scope_household_lookup = "household"

    class Meta:
        ordering = ["petition_id", "signed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "household"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_signature_per_household",
            )
        ]

    def __str__(self) -> str:
        return f"signature of {self.household_id} on petition {self.petition_id}"


class Escalation(models.Model):
    """A petition going to the office above: because enough units signed, or because its office did not answer."""

    class Reason(models.TextChoices):
        THRESHOLD = "threshold", _("Enough units signed")
        DEADLINE = "deadline", _("Not answered in time")

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="escalations")
    from_office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    to_office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["petition_id", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["petition", "from_office"], name="one_escalation_per_office"),
        ]

    def __str__(self) -> str:
        return f"petition {self.petition_id} to {self.to_office_id}"


class PetitionResponse(models.Model):
    """The addressed office's answer, published to every signer."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        PARTLY = "partly", _("Partly accepted")
        REJECTED = "rejected", _("Rejected")

    petition = models.OneToOneField(Petition, on_delete=models.PROTECT, related_name="response")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    text = models.TextField(max_length=4000)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    responded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"response to petition {self.petition_id}"


# Feedback reports --------------------------------------------------------------------------------------------------


class FeedbackReport(models.Model):
    """A mid-progress report an office asked for on a campaign or levy: compiled once, when asked, and kept as it
    was, so that it can be printed and compared later."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="feedback_reports")
    campaign = models.ForeignKey(
        "duties.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="feedback_reports"
    )
    levy = models.ForeignKey(
        "duties.Levy", null=True, blank=True, on_delete=models.PROTECT, related_name="feedback_reports"
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", help_text=_("The area it covers."))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    content = models.JSONField(help_text=_("Per unit and in total, as compiled when asked."))

    scope_area_lookup = "area"
    scope_household_lookup = None

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="report_on_one_obligation",
                condition=Q(campaign__isnull=False, levy__isnull=True) | Q(campaign__isnull=True, levy__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"feedback report {self.pk}"


# Notifications -----------------------------------------------------------------------------------------------------


class Notification(models.Model):
    """Something a person should know: a vote opened in their unit, a result, a response to a petition they signed,
    a suspension, an officer's digest. The text is made from `kind` and `params` in the reader's language."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    params = models.JSONField(default=dict)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(
        max_length=120, blank=True, help_text=_("Set when a notice must reach a user once only (e.g. a daily digest).")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~Q(dedupe_key=""), name="one_notification_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"
