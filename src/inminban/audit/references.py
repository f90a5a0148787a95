"""What an audit entry names (households, persons, units, campaigns, levies, directives, stamps …): loaded a kind
at a time for a whole page of entries, named in the UI language, and linked only where the viewer's scoped selectors
return them. The domain apps import the audit app: their selectors are imported inside the functions, when a page is
rendered, so the audit app keeps no import-time dependency on them."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

# References: what an entry names, by name, linked where the viewer may open it -------------------------------------


@dataclass
class Ref:
    text: str
    url: str | None = None
    words: bool = False  # words of ours ("stamp"), not a name as recorded: may take a capital at a sentence's start

    def html(self) -> SafeString:
        if self.url:
            return format_html('<a href="{}">{}</a>', self.url, self.text)
        return conditional_escape(self.text)

    def __str__(self) -> str:
        return self.text


def local_name(obj, name: str = "name") -> str:
    ko, en = getattr(obj, f"{name}_ko", "") or "", getattr(obj, f"{name}_en", "") or ""
    if (get_language() or "en").startswith("ko"):
        return ko or en or str(obj)
    return en or ko or str(obj)


def long_date(value) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""


@dataclass(frozen=True)
class Kind:
    """How to find a referenced object (`model`, looked up by `key`), whether the viewer may open it (`visible`: a
    scoped selector), what to call it and where its page is."""

    model: str
    visible: Callable | None
    name: Callable
    url: Callable | None = None
    key: str = "pk"
    related: tuple[str, ...] = ()


def _households(actor):
    from inminban.registry.selectors import households_visible

    return households_visible(actor=actor)


def _persons(actor):
    from inminban.registry.selectors import persons_visible

    return persons_visible(actor=actor)


def _dwellings(actor):
    from inminban.registry.selectors import dwellings_visible

    return dwellings_visible(actor=actor)


def _areas(actor):
    from inminban.areas.selectors import areas_visible

    return areas_visible(actor=actor)


def _directives(actor):
    from inminban.duties.selectors import directives_visible

    return directives_visible(actor=actor)


def _campaigns(actor):
    from inminban.duties.selectors import campaigns_visible

    return campaigns_visible(actor=actor)


def _levies(actor):
    from inminban.duties.selectors import levies_visible

    return levies_visible(actor=actor)


def _shares(actor):
    from inminban.duties.selectors import shares_visible

    return shares_visible(actor=actor)


def _sessions(actor):
    from inminban.duties.selectors import sessions_visible

    return sessions_visible(actor=actor)


def _stamps(actor):
    from inminban.stamps.selectors import stamps_visible

    return stamps_visible(actor=actor)


def _programs(actor):
    from inminban.entitlements.selectors import programs_visible

    return programs_visible(actor=actor)


def _cycles(actor):
    from inminban.entitlements.selectors import cycles_visible

    return cycles_visible(actor=actor)


def _accounts(actor):
    from inminban.accounts.selectors import accounts_visible

    return accounts_visible(actor=actor)


def _area_url(area) -> str:
    return reverse("registry:unit" if area.level.is_unit else "registry:area", args=[area.code])


def _share_name(share) -> str:
    return share.quota.obligation.title


def _session_name(session) -> str:
    return gettext("the session of %(date)s") % {"date": long_date(session.on)}


def _cycle_name(cycle) -> str:
    return gettext("%(program)s, %(start)s to %(end)s") % {
        "program": cycle.program.name,
        "start": long_date(cycle.period_start),
        "end": long_date(cycle.period_end),
    }


def _account_name(user) -> str:
    return user.get_full_name() or user.username


KINDS: dict[str, Kind] = {
    "household": Kind(
        "registry.Household",
        _households,
        lambda household: household.number,
        lambda household: reverse("registry:household", args=[household.pk]),
    ),
    "person": Kind(
        "registry.Person",
        _persons,
        lambda person: person.full_name,
        lambda person: reverse("registry:person", args=[person.pk]),
    ),
    "dwelling": Kind("registry.Dwelling", _dwellings, str),
    "area": Kind("areas.Area", _areas, local_name, _area_url, related=("level",)),
    "area_code": Kind("areas.Area", _areas, local_name, _area_url, key="code", related=("level",)),
    "office": Kind("areas.Office", None, local_name),
    "directive": Kind(
        "duties.Directive",
        _directives,
        lambda directive: directive.title,
        lambda directive: reverse("duties:directive", args=[directive.pk]),
    ),
    "campaign": Kind(
        "duties.Campaign",
        _campaigns,
        lambda campaign: campaign.title,
        lambda campaign: reverse("duties:campaign", args=[campaign.pk]),
    ),
    "levy": Kind("duties.Levy", _levies, lambda levy: levy.title, lambda levy: reverse("duties:levy", args=[levy.pk])),
    "share": Kind(
        "duties.Share",
        _shares,
        _share_name,
        lambda share: reverse("duties:share", args=[share.pk]),
        related=("quota__campaign", "quota__levy"),
    ),
    "waiver": Kind("duties.Waiver", None, lambda waiver: "", related=("share__quota__campaign", "share__quota__levy")),
    "session": Kind(
        "duties.Session",
        _sessions,
        _session_name,
        lambda session: reverse("duties:session", args=[session.pk]),
        related=("campaign",),
    ),
    "stamp": Kind(
        "stamps.Stamp",
        _stamps,
        lambda stamp: gettext("stamp"),
        lambda stamp: reverse("stamps:page", args=[stamp.serial]),
        key="serial",
    ),
    "stamp_id": Kind(
        "stamps.Stamp",
        _stamps,
        lambda stamp: gettext("stamp"),
        lambda stamp: reverse("stamps:page", args=[stamp.serial]),
    ),
    "signing_key": Kind("stamps.SigningKey", None, lambda key: "", related=("office",)),
    "program": Kind(
        "entitlements.Program",
        _programs,
        lambda program: program.name,
        lambda program: reverse("entitlements:program", args=[program.pk]),
    ),
    "cycle": Kind(
        "entitlements.Cycle",
        _cycles,
        _cycle_name,
        lambda cycle: reverse("entitlements:cycle", args=[cycle.pk]),
        related=("program",),
    ),
    "user": Kind("auth.User", _accounts, _account_name, lambda user: reverse("accounts:page", args=[user.pk])),
    "counter": Kind("entitlements.Counter", None, local_name),
}

# A stored key (of before/after) that names another record, and what kind of record.
KEY_KINDS = {
    "household": "household",
    "person": "person",
    "head": "person",
    "dwelling": "dwelling",
    "unit": "area",
    "area": "area",
    "office": "office",
    "directive": "directive",
    "campaign": "campaign",
    "share": "share",
    "session": "session",
    "stamp": "stamp",
    "serial": "stamp",
    "program": "program",
    "user": "user",
    "generated_by": "user",
    "cycle": "cycle",
    "counter": "counter",
    "voucher": "stamp",
}

# An entry's target_type, and what kind of record it is.
TARGET_KINDS = {
    "registry.household": "household",
    "registry.person": "person",
    "registry.dwelling": "dwelling",
    "areas.area": "area",
    "areas.office": "office",
    "duties.directive": "directive",
    "duties.campaign": "campaign",
    "duties.levy": "levy",
    "duties.share": "share",
    "duties.waiver": "waiver",
    "duties.session": "session",
    "stamps.stamp": "stamp_id",
    "stamps.signingkey": "signing_key",
    "entitlements.program": "program",
    "entitlements.cycle": "cycle",
    "entitlements.counter": "counter",
    "entitlements.redemption": "redemption",
    "entitlements.clearance": "clearance",
    "entitlements.appeal": "appeal",
    "auth.user": "user",
}


def kind_of_key(name: str, value) -> str | None:
    kind = KEY_KINDS.get(name)
    if kind == "area" and isinstance(value, str) and not value.isdigit():
        return "area_code"  # a quota names its unit by code
    return kind


def obligation_key(value) -> tuple[str, str] | None:
    """'levy:1' -> ('levy', '1'); 'campaign:2' -> ('campaign', '2')."""
    if isinstance(value, str) and ":" in value:
        kind, _, pk = value.partition(":")
        if kind in ("campaign", "levy", "directive") and pk.isdigit():
            return kind, pk
    return None


def _valid_key(field_name: str, key: str) -> bool:
    if field_name == "pk":
        return key.isdigit()
    if field_name == "serial":
        try:
            uuid.UUID(key)
        except ValueError:
            return False
    return True


# Kinds named in our own words rather than by a recorded name.
WORD_KINDS = frozenset({"stamp", "stamp_id", "session"})


class References:
    """The records a page of entries names, loaded a kind at a time: names for all, links for those the viewer's
    scoped selectors return."""

    def __init__(self, actor):
        self.actor = actor
        self.wanted: dict[str, set] = {}
        self.objects: dict[tuple[str, str], object] = {}
        self.visible: set[tuple[str, str]] = set()
        self.loaded: set[tuple[str, str]] = set()

    def want(self, kind: str | None, key) -> None:
        if kind in KINDS and key not in (None, "") and not isinstance(key, dict | list | bool):
            if (kind, str(key)) not in self.loaded:
                self.wanted.setdefault(kind, set()).add(str(key))

    def load(self) -> None:
        from django.apps import apps

        wanted, self.wanted = self.wanted, {}
        for kind, keys in wanted.items():
            spec = KINDS[kind]
            model = apps.get_model(spec.model)
            keys = {key for key in keys if _valid_key(spec.key, key)}
            self.loaded |= {(kind, key) for key in keys}
            if not keys:
                continue
            rows = model.objects.filter(**{f"{spec.key}__in": keys})
            if spec.related:
                rows = rows.select_related(*spec.related)
            for obj in rows:
                self.objects[(kind, str(getattr(obj, spec.key)))] = obj
            if spec.visible is not None and spec.url is not None and self.actor is not None:
                seen = spec.visible(self.actor).filter(**{f"{spec.key}__in": keys}).values_list(spec.key, flat=True)
                self.visible |= {(kind, str(key)) for key in seen}

    def get(self, kind: str | None, key):
        return self.objects.get((kind, str(key))) if kind else None

    def ref(self, kind: str | None, key) -> Ref | None:
        obj = self.get(kind, key)
        if obj is None:
            return None
        spec = KINDS[kind]
        text = spec.name(obj)
        if not text:
            return None
        url = spec.url(obj) if spec.url is not None and (kind, str(key)) in self.visible else None
        return Ref(str(text), url, words=kind in WORD_KINDS)
