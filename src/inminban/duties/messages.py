"""The fixed messages duties services raise in DomainError, marked so that makemessages collects them.

Services speak English (they also answer the API); the web pages show a message through gettext, so one listed
here appears translated, and one that quotes a value appears as the service wrote it."""

from django.utils.translation import gettext_noop

SERVICE_MESSAGES = [
    gettext_noop("Text is required here."),
    gettext_noop("This field is required."),
    gettext_noop("A date is required (YYYY-MM-DD)."),
    gettext_noop("A number is required."),
    gettext_noop("A finite number is required."),
    gettext_noop("The quantity cannot be negative."),
    gettext_noop("The quantity must be more than zero."),
    gettext_noop("The quantity is too large."),
    gettext_noop("At most two decimal places."),
    gettext_noop("A directive that asks for acknowledgement needs a due date."),
    gettext_noop("A title in Korean or English is required."),
    gettext_noop("The text in Korean or English is required."),
    gettext_noop("A waiver request for this share is already waiting for a decision."),
    gettext_noop("An allocation rule is required."),
    gettext_noop("Approve or reject."),
    gettext_noop("At most 20 attachments."),
    gettext_noop("At most 50 exempt occupations."),
    gettext_noop("Households have already started on this quota; it can no longer change."),
    gettext_noop("Nothing is due on this share (exempt or waived); there is nothing to confirm."),
    gettext_noop("Nothing is left to waive on this share."),
    gettext_noop("Only an administrator can add a rule for the whole deployment."),
    gettext_noop("Start and end times are required (HH:MM)."),
    gettext_noop("The campaign cannot end before it starts."),
    gettext_noop("The delivery date is in the future."),
    gettext_noop("The due date cannot come before the effective date."),
    gettext_noop("The end date must be after the start date."),
    gettext_noop("The exemption already ends by then."),
    gettext_noop("The household's share is already confirmed."),
    gettext_noop("The levy cannot be due before it starts."),
    gettext_noop("The oldest liable age cannot be below the youngest."),
    gettext_noop("The person already has this exemption over these dates."),
    gettext_noop("The person is not in a household."),
    gettext_noop("The session must end after it starts."),
    gettext_noop("The share is already confirmed."),
    gettext_noop("This share is already confirmed."),
    gettext_noop("This campaign is counted in person-hours, from attendance."),
    gettext_noop("This directive does not ask for acknowledgement."),
    gettext_noop("No office of yours governs this area."),
]
