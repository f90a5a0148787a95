"""The fixed messages services raise in DomainError, marked here so that makemessages collects them.

Services speak English (they also answer the API); the web forms show the message through gettext, so a message
listed here appears translated, and any other (e.g. one that quotes a value) appears as the service wrote it."""

from django.utils.translation import gettext_noop

SERVICE_MESSAGES = [
    gettext_noop("A date is required (YYYY-MM-DD)."),
    gettext_noop("The date is before 1900."),
    gettext_noop("The date is in the future."),
    gettext_noop("This field is required."),
    gettext_noop("This field cannot be changed here."),
    gettext_noop("The end date must be after the start date."),
    gettext_noop("The amount must be a number."),
    gettext_noop("The amount must be zero or more and below 10^12."),
    gettext_noop("A three-letter currency code, such as KPW."),
    gettext_noop("Period must be month or year."),
    gettext_noop("The dwelling is not in this unit."),
    gettext_noop("The household already lives there."),
    gettext_noop("Floor area must be between 5 and 2000 m²."),
    gettext_noop("The head must be a current member of the household."),
    gettext_noop("The person already belongs to this household."),
    gettext_noop("The person was a household member before this birth date."),
    gettext_noop("Another person already has this national ID."),
    gettext_noop("At most 32 characters."),
    gettext_noop("At most 64 characters."),
    gettext_noop("At most 128 characters."),
    gettext_noop("At most 255 characters."),
    gettext_noop("A move must come after the current membership began."),
    gettext_noop("A move must come after the current residence began."),
    gettext_noop("This must come after the current membership began."),
    gettext_noop("A deceased person cannot move."),
    gettext_noop("Sex must be F or M."),
    gettext_noop("A job cannot begin before the person was born."),
    gettext_noop("Membership cannot begin before the person was born."),
    gettext_noop("The new declaration must begin after the current one began."),
    gettext_noop("The new job must begin after the current one began."),
    gettext_noop("This overlaps another membership of the same person."),
    gettext_noop("Status must be moved_away or deceased."),
    gettext_noop("The date is more than %(days)d days ahead; the latest date accepted today is %(latest)s."),
    gettext_noop("The start must come before the end."),
    gettext_noop("This must begin after the one before it began."),
    gettext_noop("The move is already dated on this day."),
    gettext_noop("The move must come after the residence or membership it ended began."),
    gettext_noop("The move must come before the residence or membership it began ends."),
    gettext_noop("The person already has this exemption over these dates."),
]
