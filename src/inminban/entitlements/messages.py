"""The fixed messages entitlement services (and the pages) raise in DomainError, marked so makemessages collects
them: the forms show a message through gettext, so one listed here appears translated, and one that quotes a value
appears as the service wrote it."""

from django.utils.translation import gettext_noop

SERVICE_MESSAGES = [
    gettext_noop("A name in Korean or English is required."),
    gettext_noop("A leader benefit is given monthly."),
    gettext_noop("Between 1 and 31 days' worth a month."),
    gettext_noop("Only a leader benefit gives extra days."),
    gettext_noop("Nothing changed: the norms and the rule are the same as in the current version."),
    gettext_noop("A monthly cycle starts on the first day of a month."),
    gettext_noop("A half-month cycle starts on the 1st or the 16th."),
    gettext_noop("A one-off cycle needs its last day (YYYY-MM-DD)."),
    gettext_noop("The period cannot end before it starts."),
    gettext_noop("A period is at most a year long."),
    gettext_noop("Between 2000 and 2100."),
    gettext_noop("A day within the period (or up to a month before it)."),
    gettext_noop("Each condition is an object with exactly one key, such as all, any, not or stamp."),
    gettext_noop("A reference such as campaign:12, levy:3 or directive:5."),
    gettext_noop("You computed this cycle; another officer must approve it."),
    gettext_noop("No office of yours governs this area."),
    gettext_noop("This clearance is asked for people aged %(low)s to %(high)s; ask the district office for others."),
    gettext_noop(
        "No member of the household falls in a category of the program's norms, so upholding would grant nothing."
    ),
]
