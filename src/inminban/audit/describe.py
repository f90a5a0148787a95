"""Audit entries as sentences people can read, in the UI language.

One table, `ACTIONS`: every action a service writes (`audit_record(action=...)`) has a short label (for the audit
log's filter) and a sentence template whose placeholders name what the entry concerns ("Share of %(obligation)s
confirmed: %(done)s delivered; %(stamp)s issued"). The placeholders are filled from the entry's before/after and its
target by the resolvers in `PLACEHOLDERS`; references (households, persons, units, campaigns, levies, directives,
stamps …) are shown by name, linked only where the viewer may open them (the apps' own scoped selectors decide).
Changes are listed with translated field labels (`FIELD_LABELS`), unchanged fields left out, measures in words.

An action missing from the table still reads as a sentence ("A record was changed."), never as its code; the tests
check the table against every action the code writes.

References are found and named by `references.py`, the people who did it by `people.py`."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from inminban.common.measures import measure_words

from .models import AuditEntry
from .people import ROLE_WORDS, person_words, role_assignments_of
from .references import (
    TARGET_KINDS,
    Ref,
    References,
    kind_of_key,
    local_name,
    long_date,
    obligation_key,
)

# What each action says ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One audited action: a short label (filters, headings) and the sentence an entry of it reads as. `details`
    names the fields of `after` listed under a creation (an entry without `before`); a correction lists the fields
    that changed."""

    label: str
    sentence: str
    details: tuple[str, ...] = ()
    by_measure: dict[str, str] = field(default_factory=dict)  # another sentence where the duty counts in this measure


ACTIONS: dict[str, Action] = {
    # Registry
    "dwelling.create": Action(
        _("Dwelling registered"), _("Dwelling %(dwelling)s registered in %(unit)s."), ("kind", "floor_area_m2")
    ),
    "dwelling.update": Action(_("Dwelling corrected"), _("Details of dwelling %(dwelling)s corrected.")),
    "household.register": Action(
        _("Household registered"), _("Household %(household)s registered at %(dwelling)s."), ("registered_on",)
    ),
    "household.set_head": Action(_("Head of household changed"), _("%(head)s is now the head of the household.")),
    "household.move": Action(_("Household moved"), _("The household moved to %(dwelling)s on %(on)s.")),
    "move.update": Action(_("Date of a move corrected"), _("The date of a move was corrected to %(on)s.")),
    "person.register": Action(
        _("Person registered"), _("%(person)s was registered in the household."), ("birth_date", "sex")
    ),
    "person.update": Action(_("Personal details corrected"), _("Personal details of %(person)s corrected.")),
    "person.move": Action(_("Person moved"), _("%(person)s moved to household %(household)s on %(on)s.")),
    "person.moved_away": Action(_("Moved away"), _("%(person)s moved away on %(on)s.")),
    "person.deceased": Action(_("Death recorded"), _("The death of %(person)s on %(on)s was recorded.")),
    "membership.add": Action(
        _("Membership added"), _("%(person)s became a member of the household."), ("relation", "since")
    ),
    "membership.update": Action(_("Membership corrected"), _("The dates of the membership of %(person)s corrected.")),
    "occupation.set": Action(
        _("New job recorded"), _("New job of %(person)s recorded: %(job_title)s."), ("workplace", "since")
    ),
    "occupation.update": Action(_("Job corrected"), _("The job of %(person)s was corrected.")),
    "income.declare": Action(
        _("Income declared"), _("%(person)s declared an income of %(amount)s."), ("period", "since")
    ),
    "income.update": Action(_("Declared income corrected"), _("The declared income of %(person)s was corrected.")),
    # Overnight stays (an entry names the stay's dates, never the guest)
    "stay.register": Action(
        _("Guest registered"), _("A guest staying from %(arrives_on)s to %(departs_on)s was registered."), ("late",)
    ),
    "stay.update": Action(
        _("Guest's stay changed"), _("The dates of the stay of a guest who arrived on %(arrives_on)s were changed.")
    ),
    "stay.confirm": Action(
        _("Guest's registration confirmed"),
        _("The registration of a guest staying from %(arrives_on)s to %(departs_on)s was confirmed."),
    ),
    "stay_rules.set": Action(
        _("Deadline for registering guests changed"),
        _("The deadline of %(office)s for registering guests was changed."),
    ),
    "stays.purge": Action(
        _("Guests' details erased"),
        _("The details of the guests of %(stays)s stays that ended before %(cutoff)s were erased."),
    ),
    # Duties
    "allocation_rule.create": Action(_("Allocation rule created"), _("A new rule for dividing quotas was created.")),
    "exemption.record": Action(
        _("Exemption recorded"), _("%(person)s was exempted from duties from %(since)s."), ("until",)
    ),
    "exemption.end": Action(_("Exemption ended"), _("The exemption of %(person)s ends on %(until)s.")),
    "exemption.update": Action(_("Exemption corrected"), _("The dates of the exemption of %(person)s corrected.")),
    "directive.issue": Action(
        _("Directive issued"), _("Directive %(directive)s issued to %(area)s."), ("effective_on", "due_on")
    ),
    "directive.acknowledge": Action(
        _("Directive acknowledged"), _("Household %(household)s acknowledged the directive %(directive)s.")
    ),
    "directive.acknowledge_undo": Action(
        _("Acknowledgement undone"),
        _("The acknowledgement of the directive %(directive)s by household %(household)s was undone."),
    ),
    "directive.confirm": Action(
        _("Acknowledgement confirmed"), _("Acknowledgement of the directive %(directive)s confirmed; %(stamp)s issued.")
    ),
    "campaign.create": Action(
        _("Labour campaign created"),
        _("Labour campaign %(obligation)s created for %(area)s."),
        ("measure", "starts_on", "ends_on", "place"),
    ),
    "levy.create": Action(
        _("Levy created"), _("Levy %(obligation)s created for %(area)s."), ("measure", "starts_on", "due_on", "place")
    ),
    "campaign.suspend": Action(
        _("Campaign suspended by its issuer"), _("Labour campaign %(obligation)s suspended by its issuer.")
    ),
    "campaign.cancel": Action(
        _("Campaign cancelled by its issuer"), _("Labour campaign %(obligation)s cancelled by its issuer.")
    ),
    "campaign.resume": Action(_("Campaign resumed"), _("Labour campaign %(obligation)s resumed.")),
    "levy.suspend": Action(_("Levy suspended by its issuer"), _("Levy %(obligation)s suspended by its issuer.")),
    "levy.cancel": Action(_("Levy cancelled by its issuer"), _("Levy %(obligation)s cancelled by its issuer.")),
    "levy.resume": Action(_("Levy resumed"), _("Levy %(obligation)s resumed.")),
    "obligation.decision_publish": Action(
        _("Decision on a campaign or levy announced"),
        _(
            "The decision on %(obligation)s was announced to every household by a directive; petitions answered: "
            "%(petitions_answered)s; accounts notified: %(accounts_told)s."
        ),
    ),
    "feedback_report.request": Action(
        _("Feedback report compiled"), _("A feedback report on %(obligation)s was compiled for %(area)s.")
    ),
    "quota.set": Action(
        _("Quota set"), _("Quota of %(unit)s for %(obligation)s set to %(quantity)s and divided among its households.")
    ),
    "waiver.request": Action(
        _("Waiver requested"), _("A waiver of %(quantity)s was asked for on the share of %(obligation)s."), ("reason",)
    ),
    "waiver.approved": Action(
        _("Waiver approved"), _("The waiver asked for on the share of %(obligation)s was approved."), ("note",)
    ),
    "waiver.rejected": Action(
        _("Waiver rejected"), _("The waiver asked for on the share of %(obligation)s was rejected."), ("note",)
    ),
    "session.create": Action(
        _("Session scheduled"), _("Session of %(obligation)s scheduled for %(on)s."), ("starts_at", "ends_at", "place")
    ),
    "attendance.record": Action(_("Attendance recorded"), _("%(person)s took part in %(session)s: %(hours)s.")),
    "attendance.age_override": Action(
        _("Attendance outside the working ages"),
        _("%(person)s, aged %(age)s, was recorded at %(session)s although outside the working ages of the rule."),
        ("reason",),
    ),
    "attendance.remove": Action(
        _("Attendance removed"), _("The attendance of %(person)s at %(session)s was taken off.")
    ),
    "delivery.record": Action(
        # Not the receiver: it is often an official's user name.
        _("Delivery recorded"),
        _("%(quantity)s delivered for %(obligation)s on %(delivered_on)s."),
        ("receipt_number",),
    ),
    "share.confirm": Action(
        _("Share confirmed"),
        _("Share of %(obligation)s confirmed: %(done)s delivered; %(stamp)s issued."),
        by_measure={"person_hours": _("Share of %(obligation)s confirmed: %(done)s worked; %(stamp)s issued.")},
    ),
    # Stamps
    "stamp.issue": Action(
        _("Stamp issued"),
        _("%(stamp)s issued for %(obligation)s: %(quantity)s."),
        by_measure={"": _("%(stamp)s issued for %(obligation)s.")},  # a directive's stamp counts nothing
    ),
    "stamp.revoke": Action(_("Stamp revoked"), _("The %(stamp)s for %(obligation)s was revoked."), ("reason",)),
    "stamp.key_create": Action(_("Signing key created"), _("A new signing key was made for %(office)s.")),
    "stamp.key_retire": Action(_("Signing key retired"), _("A signing key of %(office)s was retired.")),
    "stamp.root_key_create": Action(_("Trust list key created"), _("The key that signs the trust list was created.")),
    # Entitlements
    "program.create": Action(_("Entitlement program started"), _("Program %(program)s started for %(area)s.")),
    "program.revise": Action(
        _("Program norms or rule revised"), _("The norms or the rule of %(program)s were revised."), ("note",)
    ),
    "cycle.create": Action(_("Entitlement cycle opened"), _("A cycle of %(program)s was opened: %(period)s.")),
    "cycle.generate_request": Action(
        _("Cycle computation requested"), _("Computing the entitlements of %(cycle)s was requested.")
    ),
    "cycle.generate": Action(
        _("Entitlements computed"), _("Entitlements of %(cycle)s computed: %(entitled)s of %(households)s entitled.")
    ),
    "cycle.approve": Action(_("Cycle approved"), _("The entitlements of %(cycle)s were approved.")),
    "cycle.distribute": Action(_("Distribution started"), _("Distribution of %(cycle)s started.")),
    "cycle.close": Action(_("Cycle closed"), _("%(cycle)s was closed.")),
    "cycle.vouchers_issue": Action(
        _("Vouchers issued"), _("Vouchers of %(cycle)s were issued to %(vouchers)s entitled households.")
    ),
    "cycle.vouchers_expire": Action(
        _("Uncollected vouchers expired"),
        _("When %(cycle)s closed, %(vouchers)s vouchers not collected in full expired."),
    ),
    # Clearances and appeals
    "clearance.grant": Action(
        _("Clearance granted"), _("%(person)s was cleared for %(program)s on %(on)s; a signed clearance was issued.")
    ),
    "clearance.deny": Action(
        _("Clearance denied"),
        _("%(person)s was not cleared for %(program)s on %(on)s: the household lacks what the program asks for."),
    ),
    "appeal.file": Action(
        _("Appeal filed"),
        _("%(household)s appealed against a denial of %(program)s; the office decides by %(due_on)s."),
        ("reason",),
    ),
    "appeal.uphold": Action(
        _("Appeal upheld"), _("The appeal of %(household)s about %(program)s was upheld."), ("decision",)
    ),
    "appeal.reject": Action(
        _("Appeal rejected"), _("The appeal of %(household)s about %(program)s was rejected."), ("decision",)
    ),
    # Petitions (who opened or signed is named only in entries that auditors and administrators read)
    "petition.open": Action(
        _("Petition opened"),
        _("%(household)s opened the petition “%(title)s”; %(office)s answers by %(due_on)s."),
        ("subject", "official_name"),
    ),
    "petition.sign": Action(_("Petition signed"), _("%(household)s signed the petition “%(title)s”.")),
    "petition.unsign": Action(
        _("Petition signature withdrawn"), _("%(household)s withdrew its signature from the petition “%(title)s”.")
    ),
    "petition.respond": Action(_("Petition answered"), _("%(office)s answered the petition “%(title)s”: %(outcome)s.")),
    "petition.recall_reached": Action(
        _("Recall petition reached its share"),
        _("The recall petition “%(title)s” reached %(signatures)s signatures; a recall vote was opened."),
    ),
    "petition.escalate_threshold": Action(
        _("Petition went up: enough units signed"),
        _("The petition “%(title)s” went to %(office)s: households in enough units signed it."),
    ),
    "petition.escalate_deadline": Action(
        _("Petition went up: not answered in time"),
        _("The petition “%(title)s” went to %(office)s: the office before it did not answer in time."),
    ),
    # Leaders by consent (a ballot's entry says that a household voted, never how)
    "governance_rules.set": Action(
        _("Rules for votes and petitions changed"), _("The rules of %(office)s for votes and petitions were changed.")
    ),
    "nomination.create": Action(
        _("Leader nominated"), _("%(person)s was nominated as leader of %(unit)s."), ("statement",)
    ),
    "nomination.approve": Action(_("Nominee approved by the unit"), _("%(unit)s approved %(person)s as its leader.")),
    "nomination.reject": Action(_("Nominee rejected by the unit"), _("%(unit)s rejected %(person)s as its leader.")),
    "nomination.withdraw": Action(
        _("Nomination withdrawn"), _("The nomination of %(person)s as leader of %(unit)s was withdrawn.")
    ),
    "vote.open": Action(
        _("Vote on a nominee opened"),
        _("The vote of %(unit)s on its new leader opened; it closes %(closes_at)s."),
        ("electorate_size", "quorum_percent", "approval_percent"),
    ),
    "vote.recall_open": Action(
        _("Recall vote opened"),
        _("A vote of %(unit)s on recalling its leader opened; it closes %(closes_at)s."),
        ("electorate_size", "quorum_percent", "approval_percent"),
    ),
    "vote.participate": Action(
        _("Household voted"), _("%(household)s took part in the vote of %(unit)s; how it voted is not recorded.")
    ),
    "vote.paper_tally": Action(
        _("Meeting tally sheet entered"),
        _(
            "Tally sheet %(sheet_number)s of a meeting of %(unit)s was entered: %(yes)s yes, %(no)s no, "
            "%(abstain)s abstaining."
        ),
    ),
    "vote.close": Action(
        _("Vote closed"),
        _("The vote of %(unit)s closed with %(ballots)s ballots: %(yes)s yes, %(no)s no, %(abstain)s abstaining."),
    ),
    "vote.withdraw": Action(_("Vote withdrawn"), _("The vote of %(unit)s was withdrawn by the office.")),
    "appointment.create": Action(
        _("Leader appointed"), _("%(person)s leads %(unit)s from %(starts_on)s, by the unit's consent."), ("ends_on",)
    ),
    "appointment.recall": Action(
        _("Leader recalled"), _("%(person)s was recalled as leader of %(unit)s from %(recalled_on)s.")
    ),
    # Distribution
    "counter.create": Action(
        _("Distribution counter opened"),
        _("Distribution counter %(counter)s was opened for %(area)s."),
        ("address", "opening_hours"),
    ),
    "counter.clerk_assign": Action(_("Counter clerk assigned"), _("%(user)s now works at %(counter)s.")),
    "redemption.record": Action(
        _("Ration handed out"),
        _("%(handed)s handed out at %(counter)s against the voucher of %(household)s."),
    ),
    "redemption.upload": Action(
        _("Offline hand-out uploaded"),
        _("%(handed)s handed out at %(counter)s while it was offline, against the voucher of %(household)s."),
        ("handed_at", "status", "excess"),
    ),
    "redemption.settle": Action(
        _("Hand-out became a conflict"),
        _(
            "A hand-out at %(counter)s against the voucher of %(household)s no longer fits in what was left: an "
            "earlier one reached the server later."
        ),
        ("status", "excess"),
    ),
    "redemption.resolve": Action(
        _("Double hand-out resolved"),
        _("A hand-out beyond what was left on the voucher of %(household)s was resolved."),
        ("resolution",),
    ),
    # Areas, roles and accounts
    "area.create": Action(_("Area created"), _("Area %(area)s created.")),
    "area.rename": Action(_("Area renamed"), _("Area %(area)s renamed.")),
    "office.create": Action(_("Office created"), _("Office %(office)s created for %(area)s.")),
    "role.assign": Action(_("Role assigned"), _("%(user)s was made %(role)s (%(area)s)."), ("since",)),
    "role.end": Action(_("Role ended"), _("The role of %(user)s as %(role)s (%(area)s) ends on %(until)s.")),
    "account.create": Action(_("Account created"), _("An account was created for %(user)s.")),
    "account.create_admin": Action(_("Administrator account created"), _("An administrator account was created.")),
    "account.password_reset": Action(
        _("Password reset"), _("The password of %(user)s was reset; a one-time code was issued.")
    ),
    "account.password_set": Action(_("Password set"), _("%(user)s set a new password with a one-time code.")),
    "account.password_change": Action(_("Password changed"), _("%(user)s changed their password.")),
    "login.lockout": Action(_("Logins locked"), _("Logins were locked after repeated wrong passwords.")),
    "login.unlock": Action(_("Logins unlocked"), _("Locked logins were unlocked.")),
    "session.end": Action(_("Login session ended"), _("A login session was ended.")),
    "token.create": Action(_("API token created"), _("An API token was created for %(user)s.")),
    "token.revoke": Action(_("API token revoked"), _("An API token of %(user)s was revoked.")),
    # Health checks (the entry names the household and the day, never a value or a guest's name)
    "healthcheck.record": Action(
        _("Health check recorded"), _("A health check in household %(household)s was recorded for %(on)s.")
    ),
    # Integrity flags (the entries carry a flag's status and pattern, never the words of an answer or a reason)
    "integrity.scan": Action(_("Integrity scan"), _("The integrity scan raised %(raised)s new flags: %(pattern)s.")),
    "flag.explain": Action(_("Flag answered"), _("The leader answered a flag: %(pattern)s.")),
    "flag.dismiss": Action(_("Flag dismissed"), _("The office dismissed a flag: %(pattern)s.")),
    "flag.uphold": Action(_("Flag upheld"), _("The office upheld a flag: %(pattern)s.")),
    "detection_rule.set": Action(
        _("Detection rule changed"), _("The rule of %(office)s for “%(pattern)s” was changed.")
    ),
    # The synthetic population
    "synth.generate": Action(_("Synthetic population generated"), _("A synthetic population was generated.")),
}

UNKNOWN = Action(_("Other change"), _("A record was changed."))


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, UNKNOWN).label)


def action_choices() -> list[tuple[str, str]]:
    """(code, label) for the audit log's filter, sorted by label in the UI language."""
    return sorted(((code, str(spec.label)) for code, spec in ACTIONS.items()), key=lambda item: item[1])


# Fields: labels, and fields never listed ---------------------------------------------------------------------------

FIELD_LABELS = {
    "unit": _("Unit"),
    "dwelling": _("Dwelling"),
    "head": _("Head of household"),
    "number": _("Registration number"),
    "registered_on": _("Registered on"),
    "dissolved_on": _("Dissolved on"),
    "family_name": _("Family name"),
    "given_name": _("Given name"),
    "birth_date": _("Birth date"),
    "sex": _("Sex"),
    "national_id": _("National ID"),
    "status": _("Status"),
    "household": _("Household"),
    "person": _("Person"),
    "relation": _("Relation"),
    "since": _("Since"),
    "until": _("Until"),
    "workplace": _("Workplace"),
    "job_title": _("Job title"),
    "amount": _("Amount"),
    "currency": _("Currency"),
    "period": _("Period"),
    "on": pgettext_lazy("audit field", "Date"),
    "address": _("Address"),
    "building": _("Building"),
    "apartment": _("Apartment number"),
    "kind": _("Kind"),
    "floor_area_m2": _("Floor area (m²)"),
    "measure": _("Measure"),
    "starts_on": _("Starts on"),
    "ends_on": _("Ends on"),
    "due_on": _("Due on"),
    "effective_on": _("In force from"),
    "place": _("Place"),
    "title_ko": _("Title in Korean"),
    "title_en": _("Title in English"),
    "name_ko": _("Name in Korean"),
    "name_en": _("Name in English"),
    "standing": _("Standing"),
    "standing_reason": _("Reason"),
    "shares_cancelled": _("Open shares cancelled"),
    "shares_restored": _("Shares owed again"),
    "reason": _("Reason"),
    "note": _("Note"),
    "quantity": _("Quantity"),
    "waived": _("Waived"),
    "done": _("Done"),
    "due": _("Due"),
    "hours": _("Hours"),
    "delivered_on": _("Delivered on"),
    "receiver": _("Received by"),
    "receipt_number": _("Receipt number"),
    "starts_at": _("Starts at"),
    "ends_at": _("Ends at"),
    "requires_ack": _("Must be acknowledged"),
    "channel": _("Recorded by"),
    "role": _("Role"),
    "area": _("Area"),
    "office": _("Office"),
    "user": _("Account"),
    "name": _("Name"),
    "revoked_at": _("Revoked at"),
    "revoked_reason": _("Reason"),
    "period_start": _("Period starts"),
    "period_end": _("Period ends"),
    "reference_date": _("Reference date"),
    "households": _("Households"),
    "entitled": _("Entitled"),
    "denied": _("Denied"),
    "total_quantity": _("Total quantity"),
    "failures": _("Failed logins"),
    "sessions_ended": _("Sessions ended"),
    "tokens_revoked": _("API tokens revoked"),
    "cadence": _("Cadence"),
    "handed": _("Handed out"),
    "handed_at": _("Handed out at"),
    "offline": _("Recorded offline"),
    "excess": _("More than was left"),
    "resolution": _("Decision"),
    "counter": _("Counter"),
    "vouchers": _("Vouchers"),
    "opening_hours": _("Opening hours"),
    "active": _("Open"),
    "decision": _("Decision"),
    "granted": _("Granted"),
    "eligible": _("Entitled"),
    "attachment": _("Attached document"),
    "statement": _("Statement"),
    "electorate": _("Who votes"),
    "adult_age": _("Voting age"),
    "quorum_percent": _("Turnout needed (%)"),
    "approval_percent": _("Yes needed, more than (%)"),
    "window_days": _("Days a vote is open"),
    "term_months": _("Term in months"),
    "renomination_wait_days": _("Days before a rejected nominee can be nominated again"),
    "recall_signature_percent": _("Signatures that open a recall (%)"),
    "escalation_percent": _("Units that send a petition up (%)"),
    "response_days": _("Days to answer a petition"),
    "opens_at": _("Voting opens"),
    "closes_at": _("Voting closes"),
    "electorate_size": _("Entitled to vote"),
    "ballots": _("Ballots cast"),
    "yes": _("Yes votes"),
    "no": _("No votes"),
    "abstain": _("Abstentions"),
    "quorum_met": _("Turnout reached"),
    "approval_met": _("Approval reached"),
    "passed": _("Passed"),
    "recalled_on": _("Recalled on"),
    "sheet_number": _("Tally sheet number"),
    "counted": _("Counted"),
    "subject": _("Subject"),
    "official_name": _("Official concerned"),
    "outcome": _("Outcome"),
    "response": _("Response"),
    "signatures": _("Signatures"),
    "due_at": _("Answer due"),
    "title": _("Title"),
    "arrives_on": _("Arrives on"),
    "departs_on": _("Expected departure"),
    "departed_on": _("Left on"),
    "late": _("Registered late"),
    "confirmed": _("Confirmed"),
    "deadline_time": _("Registration due by"),
    "deadline_days": _("Days after arrival to register"),
    "enabled": _("Looked for"),
    "threshold": _("Threshold"),
    "min_count": _("At least this many"),
}

# Kept in the raw entry for auditors, never listed: internal keys, hashes, keys, nested snapshots, other entries'
# ids, the structure of a rule.
HIDDEN_FIELDS = frozenset(
    {
        "membership", "shares", "attachments", "rule", "step", "as_of", "obligation", "stamp", "serial", "share",
        "session", "campaign", "directive", "program", "version", "job", "generated_by", "parent", "level", "code",
        "path", "kid", "purpose", "public_key", "valid_from", "valid_until", "retired_at", "signing_key",
        "status_index", "status_version", "duty_kind", "duty_ref", "duty_title", "issued_at", "expires_at", "username",
        "email", "is_superuser", "address_hash", "code_expires_at", "created_at", "seed", "units_per_district",
        "age", "min_age", "max_age", "acknowledged_at", "uid", "voucher", "cycle", "assignment", "conflict_with",
        "outcomes", "missing", "entitlement", "clearance",
    }
)  # fmt: skip

# Fields whose stored value is a choice code: shown by the choice's label.
CHOICE_FIELDS = {
    "sex": ("registry.Person", "sex"),
    "status": None,  # depends on the target: see _choice_label
    "relation": ("registry.Membership", "relation"),
    "kind": None,
    "period": ("registry.DeclaredIncome", "period"),
    "standing": ("duties.Campaign", "standing"),
    "cadence": ("entitlements.Program", "cadence"),
    "electorate": ("governance.GovernanceRules", "electorate"),
    "subject": ("governance.Petition", "subject"),
    "outcome": ("governance.PetitionResponse", "outcome"),
    "pattern": ("integrity.Flag", "pattern"),
}

STATUS_MODELS = {
    "registry.person": ("registry.Person", "status"),
    "duties.waiver": ("duties.Waiver", "status"),
    "entitlements.cycle": ("entitlements.Cycle", "status"),
    "entitlements.redemption": ("entitlements.Redemption", "status"),
    "entitlements.appeal": ("entitlements.Appeal", "status"),
    "governance.nomination": ("governance.Nomination", "status"),
    "governance.consentvote": ("governance.ConsentVote", "status"),
    "governance.petition": ("governance.Petition", "status"),
    "integrity.flag": ("integrity.Flag", "status"),
}
KIND_MODELS = {
    "registry.dwelling": ("registry.Dwelling", "kind"),
    "duties.levy": ("duties.Levy", "kind"),
    "entitlements.program": ("entitlements.Program", "kind"),
}

# Filling the placeholders ------------------------------------------------------------------------------------------


@dataclass
class Context:
    entry: AuditEntry
    refs: References

    @property
    def before(self) -> dict:
        return self.entry.before if isinstance(self.entry.before, dict) else {}

    @property
    def after(self) -> dict:
        return self.entry.after if isinstance(self.entry.after, dict) else {}

    def value(self, name: str):
        """The stored value of a field: after, else before."""
        if name in self.after and self.after[name] is not None:
            return self.after[name]
        return self.before.get(name)

    @property
    def target_kind(self) -> str | None:
        return TARGET_KINDS.get(self.entry.target_type)

    def target(self):
        return self.refs.get(self.target_kind, self.entry.target_id)

    def ref_of(self, name: str, *, target_kinds: tuple[str, ...] = ()) -> Ref | None:
        value = self.value(name)
        if value is not None:
            return self.refs.ref(kind_of_key(name, value), value)
        if self.target_kind in target_kinds:
            return self.refs.ref(self.target_kind, self.entry.target_id)
        return None

    def obligation(self):
        """The campaign or levy (or directive) the entry is about, as (kind, object)."""
        for name in ("obligation", "duty_ref"):
            key = obligation_key(self.value(name))
            if key is not None:
                return key[0], self.refs.get(*key)
        if self.target_kind in ("campaign", "levy"):
            return self.target_kind, self.target()
        if self.target_kind == "stamp_id" and self.target() is not None:
            key = obligation_key(self.target().duty_ref)
            if key is not None:
                return key[0], self.refs.get(*key)
        share = self.refs.get("share", self.value("share"))
        if share is None and self.target_kind == "waiver" and self.target() is not None:
            share = self.target().share
        if share is None and self.target_kind == "share":
            share = self.target()
        if share is not None:
            return ("campaign", share.quota.campaign) if share.quota.campaign_id else ("levy", share.quota.levy)
        session = self.refs.get("session", self.value("session"))
        if self.value("campaign") is not None:
            return "campaign", self.refs.get("campaign", self.value("campaign"))
        if session is not None:
            return "campaign", session.campaign
        return None, None

    def measure(self) -> str:
        if self.value("measure"):
            return str(self.value("measure"))
        _kind, obligation = self.obligation()
        return getattr(obligation, "measure", "") or ""


def _number(value) -> str:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    text = format(number.normalize(), "f")
    return text


def amount_in_words(value, measure: str) -> str:
    """'5 kilograms', '8 person-hours' / '8 인시'; a quantity without a measure as the number."""
    if value is None or value == "":
        return ""
    words = measure_words(measure) if measure else ""
    return f"{_number(value)} {words}".strip()


def _obligation_ref(ctx: Context) -> Ref | None:
    kind, obj = ctx.obligation()
    if obj is None:
        return None
    key = obj.pk
    ctx.refs.loaded.add((kind, str(key)))
    ctx.refs.objects.setdefault((kind, str(key)), obj)
    return ctx.refs.ref(kind, key)


def _quantity(name: str):
    return lambda ctx: amount_in_words(ctx.value(name), ctx.measure()) or None


def _date(name: str):
    def resolve(ctx: Context):
        value = ctx.value(name)
        parsed = parse_date(value) if isinstance(value, str) else value
        return long_date(parsed) if isinstance(parsed, date) else None

    return resolve


def _text(name: str):
    return lambda ctx: str(ctx.value(name)) if ctx.value(name) not in (None, "") else None


def _role(ctx: Context):
    role = ctx.value("role")
    return str(ROLE_WORDS[role]) if role in ROLE_WORDS else None


def _period(ctx: Context):
    start, end = _date("period_start")(ctx), _date("period_end")(ctx)
    return gettext("%(start)s to %(end)s") % {"start": start, "end": end} if start and end else None


def _hours(ctx: Context):
    return amount_in_words(ctx.value("hours"), "person_hours") or None


def _amount(ctx: Context):
    amount = ctx.value("amount")
    if amount is None:
        return None
    return f"{_number(amount)} {ctx.value('currency') or ''}".strip()


def _stamp(ctx: Context):
    ref = ctx.ref_of("stamp") or ctx.ref_of("serial") or ctx.refs.ref(ctx.target_kind, ctx.entry.target_id)
    return ref or Ref(gettext("stamp"), words=True)


def _office(ctx: Context):
    ref = ctx.ref_of("office", target_kinds=("office",))
    if ref is None and ctx.target_kind == "signing_key" and ctx.target() is not None and ctx.target().office:
        ref = Ref(local_name(ctx.target().office))
    return ref


def _count(name: str):
    return lambda ctx: str(ctx.value(name)) if ctx.value(name) is not None else None


PLACEHOLDERS: dict[str, Callable[[Context], Ref | str | None]] = {
    "household": lambda ctx: (
        ctx.ref_of("household", target_kinds=("household",)) or ctx.refs.ref("household", ctx.entry.household_id)
    ),
    "person": lambda ctx: ctx.ref_of("person", target_kinds=("person",)),
    "head": lambda ctx: ctx.ref_of("head"),
    "dwelling": lambda ctx: ctx.ref_of("dwelling", target_kinds=("dwelling",)),
    "unit": lambda ctx: ctx.ref_of("unit"),
    "area": lambda ctx: ctx.ref_of("area", target_kinds=("area",)),
    "office": _office,
    "directive": lambda ctx: ctx.ref_of("directive", target_kinds=("directive",)),
    "obligation": _obligation_ref,
    "session": lambda ctx: ctx.ref_of("session", target_kinds=("session",)),
    "stamp": _stamp,
    "program": lambda ctx: ctx.ref_of("program", target_kinds=("program",)),
    "cycle": lambda ctx: ctx.ref_of("cycle", target_kinds=("cycle",)) or ctx.refs.ref("cycle", ctx.entry.target_id),
    "user": lambda ctx: ctx.ref_of("user", target_kinds=("user",)),
    "role": _role,
    "quantity": _quantity("quantity"),
    "done": _quantity("done"),
    "hours": _hours,
    "amount": _amount,
    "on": _date("on"),
    "since": _date("since"),
    "until": _date("until"),
    "delivered_on": _date("delivered_on"),
    "period": _period,
    "job_title": _text("job_title"),
    "entitled": _count("entitled"),
    "age": _count("age"),
    "households": _count("households"),
    "due_on": _date("due_on"),
    "vouchers": _count("vouchers"),
    "counter": lambda ctx: ctx.ref_of("counter", target_kinds=("counter",)),
    "handed": _quantity("handed"),
    "closes_at": lambda ctx: _shown(ctx, "closes_at", ctx.value("closes_at")) if ctx.value("closes_at") else None,
    "starts_on": _date("starts_on"),
    "recalled_on": _date("recalled_on"),
    "sheet_number": _text("sheet_number"),
    "ballots": _count("ballots"),
    "yes": _count("yes"),
    "no": _count("no"),
    "abstain": _count("abstain"),
    "petitions_answered": lambda ctx: str(len(ctx.value("petitions_answered") or [])),
    "accounts_told": _count("accounts_told"),
    "title": _text("title"),
    "signatures": _count("signatures"),
    "outcome": lambda ctx: _choice_label(ctx, "outcome", ctx.value("outcome")),
    "arrives_on": _date("arrives_on"),
    "departs_on": _date("departs_on"),
    "cutoff": _date("cutoff"),
    "stays": _count("stays"),
    "raised": _count("raised"),
    "pattern": lambda ctx: _choice_label(ctx, "pattern", ctx.value("pattern")),
}


# Listed changes ----------------------------------------------------------------------------------------------------


@dataclass
class Change:
    label: str
    before: SafeString | str
    after: SafeString | str
    created: bool = False


def _choice_label(ctx: Context, name: str, value) -> str | None:
    from django.apps import apps

    where = CHOICE_FIELDS.get(name)
    if name == "status":
        where = STATUS_MODELS.get(ctx.entry.target_type)
    elif name == "kind":
        where = KIND_MODELS.get(ctx.entry.target_type)
    if where is None:
        return None
    model_label, field_name = where
    choices = dict(apps.get_model(model_label)._meta.get_field(field_name).flatchoices)
    return str(choices[value]) if value in choices else None


def _shown(ctx: Context, name: str, value) -> SafeString | str:
    """A stored value in words: a referenced record by name, a date in the UI language, a choice by its label."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dict | list):
        return ""
    kind = kind_of_key(name, value)
    if kind is not None:
        ref = ctx.refs.ref(kind, value)
        return ref.html() if ref is not None else gettext("another record")
    if name == "measure":
        return measure_words(str(value))
    if name == "role":
        return str(ROLE_WORDS.get(value, gettext("another role")))
    if name in CHOICE_FIELDS:
        label = _choice_label(ctx, name, value)
        if label is not None:
            return label
    if name in ("hours",):
        return amount_in_words(value, "person_hours")
    if name in ("quantity", "waived", "done", "due", "total_quantity"):
        return amount_in_words(value, ctx.measure())
    if isinstance(value, str):
        if re.fullmatch(r"\d\d:\d\d(:\d\d)?", value):
            return value[:5]
        moment = parse_datetime(value) if "T" in value else None
        if moment is not None:
            return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
        day = parse_date(value) if len(value) == 10 else None
        if day is not None:
            return long_date(day)
    if isinstance(value, int | float | Decimal):
        return _number(value)
    return str(value)


def changes_of(ctx: Context, spec: Action, unlabelled: set[str] | None = None) -> list[Change]:
    """The fields that changed (a correction), or the details `spec` lists (a creation); others left out."""
    before, after = ctx.before, ctx.after
    if before:
        names = list(before) + [name for name in after if name not in before]
        names = [name for name in names if before.get(name) != after.get(name) and name in after]
    else:
        names = [name for name in spec.details if after.get(name) not in (None, "")]
    changes = []
    for name in names:
        if name in HIDDEN_FIELDS or isinstance(after.get(name), dict | list):
            continue
        if name not in FIELD_LABELS:
            if unlabelled is not None:
                unlabelled.add(name)
            continue
        changes.append(
            Change(
                str(FIELD_LABELS[name]),
                _shown(ctx, name, before.get(name)) if name in before else "",
                _shown(ctx, name, after.get(name)),
                created=name not in before,  # a creation, or what a correction adds (its reason): no "before"
            )
        )
    return changes


def actor_words(entry: AuditEntry, assignments: dict[int, list]) -> str:
    """Who made the change (see `person_words`)."""
    return person_words(entry.actor_id, entry.at, assignments)


# Putting it together -----------------------------------------------------------------------------------------------


@dataclass
class Described:
    """An entry as a page shows it."""

    entry: AuditEntry
    label: str
    sentence: SafeString
    text: str
    actor: str
    changes: list[Change] = field(default_factory=list)
    known: bool = True
    area: Ref | None = None  # where it happened, by name


def _fill(template: str, values: dict) -> tuple[SafeString, str]:
    """The template with its values, as HTML (links; all escaped) and as text. A sentence that begins with a value
    begins with a capital ("Stamp issued …"), unless it is a name as recorded."""
    first = _placeholders(template)[:1]
    if first and str(template).startswith(f"%({first[0]})s"):
        value = values[first[0]]
        capital = lambda text: text[:1].upper() + text[1:]  # noqa: E731
        if isinstance(value, Ref) and value.words:
            values = {**values, first[0]: Ref(capital(value.text), value.url, words=True)}
        elif not isinstance(value, Ref):
            values = {**values, first[0]: capital(value)}
    html = conditional_escape(template) % {
        key: (value.html() if isinstance(value, Ref) else conditional_escape(value)) for key, value in values.items()
    }
    text = str(template) % {key: str(value) for key, value in values.items()}
    return mark_safe(html), text  # noqa: S308 - every piece is escaped above


def _placeholders(template: str) -> list[str]:
    return re.findall(r"%\((\w+)\)s", str(template))


def _area_code(entry: AuditEntry) -> str:
    return entry.area_path.strip("/").rsplit("/", 1)[-1] if entry.area_path else ""


def _want_all(refs: References, entries: list[AuditEntry]) -> None:
    for entry in entries:
        refs.want("area_code", _area_code(entry))
        refs.want(TARGET_KINDS.get(entry.target_type), entry.target_id)
        refs.want("household", entry.household_id)
        for values in (entry.before, entry.after):
            if not isinstance(values, dict):
                continue
            for name, value in values.items():
                refs.want(kind_of_key(name, value), value)
                key = obligation_key(value) if name in ("obligation", "duty_ref") else None
                if key is not None:
                    refs.want(*key)
    refs.load()


def describe_entries(entries: Iterable[AuditEntry], *, actor, unlabelled: set[str] | None = None) -> list[Described]:
    """The entries as sentences for `actor`, with a few queries for the whole list (one or two per kind of record
    they name). `unlabelled`, if given, collects field names that have no label (the tests use it)."""
    entries = list(entries)
    refs = References(actor)
    _want_all(refs, entries)
    # Second round: what the first round's records lead to (a share's or a waiver's campaign or levy, a session's
    # campaign), so that they too are linked only where the viewer may open them.
    for (kind, _key), obj in list(refs.objects.items()):
        quota = obj.quota if kind == "share" else obj.share.quota if kind == "waiver" else None
        if quota is not None:
            refs.want("campaign", quota.campaign_id)
            refs.want("levy", quota.levy_id)
        if kind == "session":
            refs.want("campaign", obj.campaign_id)
        if kind in ("stamp", "stamp_id") and obligation_key(obj.duty_ref) is not None:
            refs.want(*obligation_key(obj.duty_ref))
    refs.load()
    assignments = role_assignments_of(entry.actor_id for entry in entries)
    described = []
    for entry in entries:
        spec = ACTIONS.get(entry.action)
        known = spec is not None
        spec = spec or UNKNOWN
        ctx = Context(entry, refs)
        values = {}
        sentence = spec.by_measure.get(ctx.measure(), spec.sentence) if spec.by_measure else spec.sentence
        for name in _placeholders(sentence):
            resolver = PLACEHOLDERS.get(name)
            value = resolver(ctx) if resolver is not None else None
            if value in (None, ""):
                values = None
                break
            values[name] = value
        if values is None:  # something the sentence names is gone: the short label still says what happened
            template, values = gettext("%(label)s."), {"label": str(spec.label)}
        else:
            template = sentence
        html, text = _fill(template, values)
        described.append(
            Described(
                entry=entry,
                label=str(spec.label),
                sentence=html,
                text=text,
                actor=actor_words(entry, assignments),
                changes=changes_of(ctx, spec, unlabelled),
                known=known,
                area=refs.ref("area_code", _area_code(entry)),
            )
        )
    return described


def describe(entry: AuditEntry, *, actor) -> Described:
    return describe_entries([entry], actor=actor)[0]
