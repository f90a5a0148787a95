"""The fixed messages the accounts and role services raise in DomainError, marked so that makemessages collects
them and the forms show them translated (DomainError.translated)."""

from django.utils.translation import gettext_noop

SERVICE_MESSAGES = [
    gettext_noop("Give a user name."),
    gettext_noop("There is already an account with this user name."),
    gettext_noop("At most 150 characters."),
    gettext_noop("Give a new password."),
    gettext_noop("The two passwords differ."),
    gettext_noop("Change your own password on the Your account page."),
    gettext_noop("This code is not valid for this user name. Ask for a new code."),
    gettext_noop("The current password is not right."),
    gettext_noop("The new password must differ from the current one."),
    gettext_noop("This role is not this account's."),
    gettext_noop("Only an administrator can end an administrator's role."),
    gettext_noop("This role has already ended."),
    gettext_noop("The end must not come before the start."),
    gettext_noop("An officer is assigned to an office."),
    gettext_noop("A resident account is linked to a person in a household."),
    gettext_noop("An area is required."),
    gettext_noop("A leader is assigned to a unit."),
    gettext_noop("A leader is a resident of the unit they lead."),
    gettext_noop("Only residents and leaders are linked to a person."),
    gettext_noop("Only an administrator can make another administrator."),
]
