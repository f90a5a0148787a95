"""The accounts forms. They parse input (an area code to an area, a national ID to a person); every rule is the
service's, and its DomainError comes back onto the field it names (`apply_service`)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from inminban.areas.access import scope_for
from inminban.areas.models import Role
from inminban.web.forms import Form, PageForm, date_field
from inminban.web.templatetags.inminban_web import local_name

from . import selectors

ROLE_LABELS = {
    Role.RESIDENT: _("Resident (linked to a person)"),
    Role.LEADER: _("Unit leader"),
    Role.OFFICER: _("Officer of an office"),
    Role.AUDITOR: _("Auditor (read-only)"),
    Role.ADMIN: _("Administrator"),
    Role.CLERK: _("Counter clerk (at a distribution counter)"),
    Role.SCHOOL_CLERK: _("School clerk (school enrolment clearances in an area)"),
    Role.RECRUITER: _("Recruitment officer (enlistment clearances in an area)"),
    Role.HEALTH_WORKER: _("Health worker (health checks in an area)"),
}


# A role's name in a sentence or a list ("Unit leader · Songhu-dong unit 1").
ROLE_NAMES = {
    Role.RESIDENT: pgettext_lazy("role", "Resident"),
    Role.LEADER: pgettext_lazy("role", "Unit leader"),
    Role.OFFICER: pgettext_lazy("role", "Officer"),
    Role.AUDITOR: pgettext_lazy("role", "Auditor"),
    Role.ADMIN: pgettext_lazy("role", "Administrator"),
    Role.CLERK: pgettext_lazy("role", "Counter clerk"),
    Role.SCHOOL_CLERK: pgettext_lazy("role", "School clerk"),
    Role.RECRUITER: pgettext_lazy("role", "Recruitment officer"),
    Role.HEALTH_WORKER: pgettext_lazy("role", "Health worker"),
}


def role_choices(actor) -> list[tuple[str, str]]:
    # A counter clerk is tied to a counter: given on the counter's page, not here.
    roles = [
        Role.RESIDENT,
        Role.LEADER,
        Role.OFFICER,
        Role.AUDITOR,
        Role.SCHOOL_CLERK,
        Role.RECRUITER,
        Role.HEALTH_WORKER,
    ]
    if scope_for(actor).is_admin:
        roles.append(Role.ADMIN)
    return [(role.value, ROLE_LABELS[role]) for role in roles]


class RoleFieldsForm(PageForm):
    """A role and where it holds: the area (by code) for a leader, an auditor or an administrator, the office for an
    officer, the person (by national ID) for a resident or a leader."""

    role = forms.ChoiceField(label=_("Role"))
    area = forms.CharField(
        label=_("Area code"),
        required=False,
        max_length=64,
        help_text=_(
            "The unit a leader leads, or the area an auditor reads or a school clerk serves, as on the area's page "
            "(e.g. HS-A1)."
        ),
    )
    office = forms.TypedChoiceField(label=_("Office (for an officer)"), coerce=int, required=False, empty_value=None)
    person = forms.CharField(
        label=_("National ID of the person"),
        required=False,
        max_length=32,
        help_text=_("For a resident or a leader: the person the account belongs to, as on the person's page."),
    )
    since = date_field(_("From"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["role"].choices = role_choices(actor)
        offices = selectors.offices_for_roles(actor=actor)
        self.fields["office"].choices = [("", "—")] + [(office.pk, _office_label(office)) for office in offices]
        self.fields["since"].initial = timezone.localdate()

    def clean_area(self):
        code = self.cleaned_data["area"].strip()
        if not code:
            return None
        area = selectors.areas_for_roles(actor=self.actor).filter(code=code).first()
        if area is None:
            raise forms.ValidationError(_("There is no area with this code within your area."))
        return area

    def clean_office(self):
        pk = self.cleaned_data["office"]
        if pk is None:
            return None
        return selectors.offices_for_roles(actor=self.actor).get(pk=pk)  # the choices held only these

    def clean_person(self):
        national_id = self.cleaned_data["person"].strip()
        if not national_id:
            return None
        person = selectors.persons_for_roles(actor=self.actor).filter(national_id=national_id).first()
        if person is None:
            raise forms.ValidationError(_("No resident with this national ID lives within your area."))
        return person

    def clean(self):
        data = super().clean()
        person = data.get("person")
        if (
            data.get("role") == Role.LEADER
            and person is not None
            and not data.get("area")
            and "area" not in self.errors
        ):
            data["area"] = person.household.unit  # a leader leads the unit they live in, unless told otherwise
        return data

    def role_arguments(self) -> dict:
        data = self.cleaned_data
        return {key: data.get(key) for key in ("role", "area", "office", "person", "since")}


def _office_label(office) -> str:
    return str(local_name(office))


class AccountCreateForm(RoleFieldsForm):
    name = "create"
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        required=False,
        help_text=_("What the person types to log in: letters, digits and @ . + - _ only."),
    )
    full_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    field_order = ["username", "full_name", "role", "person", "area", "office", "since"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if not username:
            raise forms.ValidationError(_("Give a user name."))
        return username


class RoleAssignForm(RoleFieldsForm):
    name = "assign"
    field_order = ["role", "person", "area", "office", "since"]


class PersonLinkForm(PageForm):
    name = "link"
    person = forms.CharField(
        label=_("National ID of the person"),
        max_length=32,
        required=False,
        help_text=_("The account becomes this person's resident account: they see their own household."),
    )
    since = date_field(_("From"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["since"].initial = timezone.localdate()

    def clean_person(self):
        national_id = self.cleaned_data["person"].strip()
        if not national_id:
            raise forms.ValidationError(_("Give the national ID of the person this account belongs to."))
        person = selectors.persons_for_roles(actor=self.actor).filter(national_id=national_id).first()
        if person is None:
            raise forms.ValidationError(_("No resident with this national ID lives within your area."))
        return person


class RoleEndForm(PageForm):
    name = "end"
    assignment = forms.TypedChoiceField(label=_("Role to end"), coerce=int)
    until = date_field(_("Ends on"), required=False, help_text=_("The first day without the role; empty for today."))

    def __init__(self, *args, assignments=(), labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        labels = labels or {}
        self.fields["assignment"].choices = [(a.pk, labels.get(a.pk, str(a))) for a in assignments]


class PasswordResetForm(PageForm):
    name = "reset"


class PasswordChangeForm(Form):
    current_password = forms.CharField(
        label=_("Current password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not a common password, not only digits, not like your user name."),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class PasswordCodeForm(Form):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    code = forms.CharField(
        label=_("One-time code"),
        max_length=32,
        required=False,
        help_text=_("The code you were given, for example K7P2-9XQM-4RTA."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}),
    )
    new_password = PasswordChangeForm.base_fields["new_password"]
    new_password_again = PasswordChangeForm.base_fields["new_password_again"]


class AccountSearchForm(Form):
    q = forms.CharField(label=_("Search by user name, name or area code"), required=False, max_length=150)
