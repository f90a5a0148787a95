"""A page's history of changes: the newest entries as sentences, older ones a page further ("More"), the raw entry
beside each for those who may read the audit log."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import QueryDict

from .describe import Described, describe_entries
from .selectors import can_read_audit_log

HISTORY_PAGE_SIZE = 10


@dataclass
class History:
    """What audit/_entries.html shows: `items` (the described entries of this page), `page` (Django's Page, for the
    pager), `param` (the query parameter that turns the page), `anchor` (the section to come back to), `show_raw`
    (whether the raw entries are one click away: auditors and administrators only)."""

    items: list[Described]
    page: Page
    param: str
    anchor: str
    show_raw: bool
    query: QueryDict

    def _url(self, number: int) -> str:
        query = self.query.copy()
        query[self.param] = str(number)
        return f"?{query.urlencode()}#{self.anchor}"

    @property
    def older_url(self) -> str | None:
        return self._url(self.page.next_page_number()) if self.page.has_next() else None

    @property
    def newer_url(self) -> str | None:
        return self._url(self.page.previous_page_number()) if self.page.has_previous() else None


def audit_history(
    request,
    entries: QuerySet,
    *,
    param: str = "history_page",
    anchor: str = "audit",
    per_page: int = HISTORY_PAGE_SIZE,
) -> History:
    """One page of `entries` (already scoped to the viewer, newest first) for `request.user`."""
    page = Paginator(entries, per_page).get_page(request.GET.get(param))
    actor = request.user
    return History(
        items=describe_entries(page.object_list, actor=actor),
        page=page,
        param=param,
        anchor=anchor,
        show_raw=can_read_audit_log(actor),
        query=request.GET,
    )
