"""The words governance shows people: notification texts by kind, filled from the notification's params in the
reader's language. A text names things in words, never by code or id."""

from django.utils.translation import gettext_lazy as _

NOTIFICATION_TEXTS = {
    # params: unit (name), nominee (name), closes (date)
    "vote_opened": _("A vote on %(nominee)s as leader of %(unit)s is open until %(closes)s."),
    # params: unit, leader (name), closes
    "recall_opened": _("A vote on recalling %(leader)s, leader of %(unit)s, is open until %(closes)s."),
    # params: unit, outcome (a translated word is not storable: "passed" or "failed"), turnout (percent)
    "vote_result": _("The result of the vote in %(unit)s is published."),
    # params: title
    "petition_response": _("The office answered the petition “%(title)s”."),
    # params: title, office
    "petition_escalated": _("The petition “%(title)s” went to %(office)s."),
    # params: title (the obligation), reason
    "obligation_suspended": _("“%(title)s” is suspended: %(reason)s"),
    "obligation_cancelled": _("“%(title)s” is cancelled: %(reason)s"),
    "obligation_resumed": _("“%(title)s” is in force again."),
    # params: count
    "petition_digest": _("Petitions near their deadline: %(count)s."),
}
