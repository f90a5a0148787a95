"""Web pages for distribution: the counter (a clerk checks a voucher and hands out all that is left or a part), the
list of counters (officers open one and assign its clerks), a cycle's reconciliation for the office (figures per
counter, a chart, the conflicts to resolve, CSV and XLSX), and the offline pack download.

Thin, like views.py: forms parse, the services (counters.py, redemptions.py) check and write, reconciliation.py
reads (scoped). A scan answers in one verification and a few queries; nothing here loops over a cycle's households."""

import uuid
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from inminban.areas.access import MANAGE_AREAS, REDEEM, VIEW, can, require_any, scope_for
from inminban.areas.models import Role
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.duties import selectors as duty_selectors
from inminban.stamps.verify import REASONS
from inminban.web.decorators import page
from inminban.web.exports import check_format, table_response
from inminban.web.forms import PageForm, apply_service
from inminban.web.templatetags.inminban_web import local_name

from . import counters, reconciliation, redemptions, selectors, vouchers
from .explain import amount_text
from .models import Counter, Cycle, Program, Redemption

# Counters ---------------------------------------------------------------------------------------------------------


def _refusal_text(reason: str, check) -> str:
    """A refusal in words, in the page's language (the service's messages are the API's English)."""
    texts = {
        "not_a_voucher": _("This is a stamp, not a ration voucher."),
        "other_cycle": _("This voucher is for another distribution."),
        "cycle_closed": _("The distribution of this voucher is over: the voucher has expired."),
        "cycle_not_open": _("This voucher's distribution has not started yet."),
        "used_up": _("Everything on this voucher has already been handed out."),
        "unknown_voucher": _("No such voucher was issued."),
        "not_served_here": _("This voucher is for a household this counter does not serve."),
        "revoked": _("This voucher was withdrawn by the office."),
        "expired": _("This voucher has expired."),
    }
    if reason in texts:
        return texts[reason]
    if reason in REASONS:
        return _(REASONS[reason])
    return _("This voucher cannot be read.")


def counter_of(actor, code: str) -> Counter:
    """A counter the actor works at or manages; any other is not there for them."""
    for counter in counters.clerk_counters(actor):
        if counter.code == code:
            return counter
    raise NotVisible(f"counter {code} not found")


class VoucherForm(PageForm):
    name = "check"
    voucher = forms.CharField(
        label=gettext_lazy("Voucher"),
        required=False,
        help_text=gettext_lazy("Scan the QR code, or type the text printed under it."),
        widget=forms.Textarea(
            attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off", "autocapitalize": "characters"}
        ),
    )


class HandOutForm(PageForm):
    """All that is left, or a part of it in the voucher's measure (kilograms of grain, or won)."""

    name = "handout"
    ALL, PART = "all", "part"
    voucher = forms.CharField(widget=forms.HiddenInput)
    uid = forms.UUIDField(widget=forms.HiddenInput)
    how = forms.ChoiceField(
        label=gettext_lazy("Hand out"),
        choices=[(ALL, gettext_lazy("All that is left")), (PART, gettext_lazy("Only part of it"))],
        widget=forms.RadioSelect,
        initial=ALL,
    )
    amount = forms.CharField(required=False, widget=forms.TextInput(attrs={"inputmode": "decimal", "size": "8"}))

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        cash = program.kind == Program.Kind.CASH_BENEFIT
        self.fields["amount"].label = _("How much, in won") if cash else _("How much, in kilograms")
        self.fields["amount"].help_text = _("Only when handing out part of it.")

    def clean(self):
        data = super().clean()
        if data.get("how") != self.PART:
            data["quantity"] = None
            return data
        text = (data.get("amount") or "").strip().replace(" ", "")
        if not text:
            self.add_error("amount", _("Say how much to hand out."))
            return data
        cash = self.program.kind == Program.Kind.CASH_BENEFIT
        text = text.removesuffix("kg").removesuffix("원").removesuffix("₩").replace(",", "" if cash else ".")
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.add_error("amount", _("Write a number, for example 5 or 2.5."))
            return data
        if not value.is_finite() or value.adjusted() > 9:
            # Nothing a voucher holds is a billion kilograms or won; refusing here also keeps "1e999999999" from
            # being expanded into a billion-digit number below.
            self.add_error("amount", _("Write a number, for example 5 or 2.5."))
            return data
        scaled = value if cash else value * 1000
        if scaled != scaled.to_integral_value():
            self.add_error(
                "amount", _("Whole won only.") if cash else _("At most three decimals: grams are the smallest unit.")
            )
            return data
        data["quantity"] = int(scaled)
        return data


def _answer(check, program) -> dict:
    """What the clerk reads after a scan: the household, what it is entitled to, what it already received, what is
    left; in kg or won."""
    entitlement = check.entitlement
    kind = program.kind

    def words(amount):
        return amount_text(amount, kind)

    return {
        "ok": check.ok,
        "reason": check.reason,
        "text": "" if check.ok else _refusal_text(check.reason, check),
        "household": entitlement.household.number if entitlement else (check.claims or {}).get("household", ""),
        "unit": check.voucher.unit if check.voucher else None,
        "program": program,
        "cycle": entitlement.cycle if entitlement else None,
        "members": entitlement.members_counted if entitlement else None,
        "entitled": words(entitlement.quantity) if entitlement else "",
        "left": words(entitlement.left) if entitlement else "",
        "left_amount": entitlement.left if entitlement else 0,
        "previous": [
            {
                "who": redemption.clerk_name or redemption.clerk.get_full_name() or redemption.clerk.username,
                "where": redemption.counter.name,
                "when": redemption.handed_at,
                "amount": words(redemption.quantity),
                "offline": redemption.offline,
            }
            for redemption in check.previous
        ],
    }


def _check(actor, counter, text):
    """(answer, error message): a voucher that is not for this counter's households is refused in words, like any
    other voucher the clerk cannot hand out against."""
    try:
        check = redemptions.voucher_check(actor=actor, counter=counter, text=text)
    except NotVisible:
        return {"ok": False, "reason": "not_served_here", "text": _refusal_text("not_served_here", None)}, None
    program = check.entitlement.cycle.program if check.entitlement else None
    if program is None:
        return {"ok": False, "reason": check.reason, "text": _refusal_text(check.reason, check), "previous": []}, None
    return _answer(check, program), program


@page
@require_http_methods(["GET", "POST"])
def counter_detail(request, code):
    actor = request.user
    counter = counter_of(actor, code)
    # Its clerks, and the officers managing the area it serves (who stand in for a clerk), hand out here.
    may_redeem = can(actor, REDEEM, counter.area) or can(actor, MANAGE_AREAS, counter.area)
    check_form = VoucherForm(None)
    answer, handout_form, done, status = None, None, None, 200
    if request.method == "POST":
        if not may_redeem:
            raise NotPermitted("only the counter's clerks hand out")
        posted = request.POST.get("form")
        if posted == VoucherForm.name:
            check_form = VoucherForm(request.POST)
            text = request.POST.get("voucher", "")
            try:
                answer, program = _check(actor, counter, text)
            except DomainError as error:
                check_form.is_valid()
                check_form.add_error("voucher", error.translated())
                status = 422
            else:
                if answer["ok"]:
                    check_form = VoucherForm(None)
                    handout_form = HandOutForm(
                        program=program, initial={"voucher": text.strip(), "uid": uuid.uuid4(), "how": HandOutForm.ALL}
                    )
                else:
                    check_form = VoucherForm(None)
                    status = 409
        elif posted == HandOutForm.name:
            text = request.POST.get("voucher", "")
            try:
                answer, program = _check(actor, counter, text)
            except DomainError:  # the hidden voucher field was emptied: not a form a person sent
                return HttpResponseBadRequest(_("Unknown form."))
            if program is None or not answer["ok"]:
                status = 409
            else:
                handout_form = HandOutForm(request.POST, program=program)
                recorded = {}

                def record():
                    data = handout_form.cleaned_data
                    try:
                        recorded["redemption"] = redemptions.redemption_record(
                            actor=actor, counter=counter, text=text, quantity=data["quantity"], uid=data["uid"]
                        )
                    except DomainError as error:
                        if error.field == "id":  # the same form sent twice (a reload, a double tap)
                            raise DomainError("id", _("This hand-out was already recorded.")) from None
                        raise

                if handout_form.is_valid() and apply_service(
                    handout_form, record, fields={"quantity": "amount", "id": "uid"}
                ):
                    redemption = recorded["redemption"]
                    entitlement = redemption.entitlement
                    entitlement.refresh_from_db(fields=["redeemed"])
                    done = {
                        "household": redemption.household.number,
                        "amount": amount_text(redemption.quantity, program.kind),
                        "left": amount_text(entitlement.left, program.kind),
                        "nothing_left": entitlement.left <= 0,
                        "when": redemption.handed_at,
                    }
                    answer, handout_form = None, None
                else:
                    status = 422
        else:
            return HttpResponseBadRequest(_("Unknown form."))
    context = {
        "counter": counter,
        "may_redeem": may_redeem,
        "may_manage": can(actor, MANAGE_AREAS, counter.area),
        "check_form": check_form,
        "answer": answer,
        "handout_form": handout_form,
        "done": done,
        "clerks": _clerks(counter) if can(actor, MANAGE_AREAS, counter.area) else [],
    }
    return render(request, "entitlements/counter_detail.html", context, status=status)


def _clerks(counter: Counter) -> list[User]:
    today = timezone.localdate()
    posts = counter.clerk_posts.filter(assignment__since__lte=today).select_related("assignment__user")
    return [post.assignment.user for post in posts if post.assignment.until is None or post.assignment.until > today]


@page
@require_GET
def counter_pack(request, code):
    """The counter's offline pack as a zip (trust list, status lists, the cycle's voucher list)."""
    counter = counter_of(request.user, code)
    from . import offline  # written alongside the offline CLI; imported when first asked for

    body = offline.pack_zip(counter)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="counter-{counter.code}-{stamp}.zip"'
    return response


class CounterForm(PageForm):
    name = "counter"
    area = forms.TypedChoiceField(label=gettext_lazy("Area it serves"), coerce=int)
    code = forms.CharField(
        label=gettext_lazy("Short name for links"),
        required=False,
        help_text=gettext_lazy("Latin letters, digits and '-', for example A-1."),
    )
    name_ko = forms.CharField(label=gettext_lazy("Name in Korean"), required=False)
    name_en = forms.CharField(label=gettext_lazy("Name in English"), required=False)
    address = forms.CharField(label=gettext_lazy("Address"), required=False)
    opening_hours = forms.CharField(
        label=gettext_lazy("Opening hours"),
        required=False,
        help_text=gettext_lazy("For example: Mon–Sat 08:00–13:00."),
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [(area.pk, local_name(area)) for area in areas]


class ClerkForm(PageForm):
    name = "clerk"
    counter = forms.TypedChoiceField(label=gettext_lazy("Counter"), coerce=int)
    username = forms.CharField(
        label=gettext_lazy("User name of the account"),
        required=False,
        help_text=gettext_lazy("The account must exist already; it may then hand out at this counter only."),
    )

    def __init__(self, *args, counters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counter"].choices = [(counter.pk, counter.name) for counter in counters]


def _account(username: str) -> User:
    username = (username or "").strip()
    if not username:
        raise DomainError("username", "This field is required.")
    user = User.objects.filter(username=username, is_active=True, is_superuser=False).first()
    if user is None or user.role_assignments.filter(role=Role.ADMIN).exists():
        raise DomainError("username", _("No account has this user name."))
    return user


@page
@require_http_methods(["GET", "POST"])
def counter_list(request):
    actor = request.user
    served = counters.clerk_counters(actor)
    scope = scope_for(actor)
    may_create = scope.is_admin or bool(scope.prefixes(MANAGE_AREAS))
    if not served and not may_create:
        raise NotVisible("no counters")
    areas = duty_selectors.areas_addressable(actor=actor).order_by("path")[:500] if may_create else []
    manageable = [counter for counter in served if can(actor, MANAGE_AREAS, counter.area)]
    posted = request.POST.get("form") if request.method == "POST" else None
    counter_form = CounterForm(request.POST if posted == "counter" else None, areas=areas)
    clerk_form = ClerkForm(request.POST if posted == "clerk" else None, counters=manageable)
    status = 200
    if request.method == "POST":
        require_any(actor, MANAGE_AREAS)
        if posted == "counter":
            created = {}

            def create():
                data = counter_form.cleaned_data
                area = duty_selectors.areas_addressable(actor=actor).get(pk=data["area"])
                office = duty_selectors.default_office(actor=actor, area=area)
                if office is None:
                    raise DomainError("area", "No office of yours governs this area.")
                created["counter"] = counters.counter_create(
                    actor=actor,
                    office=office,
                    area=area,
                    code=data["code"],
                    name_ko=data["name_ko"],
                    name_en=data["name_en"],
                    address=data["address"],
                    opening_hours=data["opening_hours"],
                )

            if counter_form.is_valid() and apply_service(counter_form, create):
                messages.success(request, _("The counter was opened. Assign its clerks below."))
                return redirect("entitlements:counters")
        elif posted == "clerk":

            def assign():
                data = clerk_form.cleaned_data
                counter = next(c for c in manageable if c.pk == data["counter"])
                counters.counter_clerk_assign(actor=actor, user=_account(data["username"]), counter=counter)

            if clerk_form.is_valid() and apply_service(clerk_form, assign):
                messages.success(request, _("The account may now hand out at the counter."))
                return redirect("entitlements:counters")
        else:
            return HttpResponseBadRequest(_("Unknown form."))
        status = 422
    context = {
        "counters": served,
        "may_create": may_create,
        "counter_form": counter_form if may_create else None,
        "clerk_form": clerk_form if manageable else None,
        "open_form": posted,
    }
    return render(request, "entitlements/counter_list.html", context, status=status)


# Reconciliation ---------------------------------------------------------------------------------------------------

FULL_FILL, PARTIAL_FILL, NONE_FILL = "#1f7a3a", "#c27c0e", "#8a93a6"


def _require_reconciliation(actor, cycle: Cycle) -> None:
    """For the office and its auditors: those whose scope covers the program's whole area."""
    scope = scope_for(actor)
    office_reader = scope.is_admin or bool({Role.OFFICER, Role.AUDITOR} & scope.roles)
    if not office_reader or not can(actor, VIEW, cycle.program.area):
        raise NotVisible(f"cycle {cycle.pk} not found")


def _row_name(row) -> str:
    return row.counter.name if row.counter else _("No counter serves these households")


def reconciliation_chart(rows) -> str:
    """One stacked bar per counter: households that collected in full, partly, not yet; the words above each bar
    carry the numbers, so the colours are never the only way to read it."""
    width, row_height, label_height, bar_height, top, legend = 320, 62, 32, 20, 4, 24
    longest = max((row.figures.households for row in rows), default=0) or 1
    parts = []
    for index, row in enumerate(rows):
        figures = row.figures
        y = top + legend + index * row_height
        numbers = _("%(full)s in full, %(partial)s partly, %(none)s not yet") % {
            "full": figures.full,
            "partial": figures.partial,
            "none": figures.unredeemed,
        }
        x, rects = 0.0, []
        for value, fill in (
            (figures.full, FULL_FILL),
            (figures.partial, PARTIAL_FILL),
            (figures.unredeemed, NONE_FILL),
        ):
            bar = round(width * value / longest, 1)
            rects.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>',
                    x,
                    y + label_height + 2,
                    bar,
                    bar_height,
                    fill,
                )
            )
            x += bar
        name = _row_name(row)
        parts.append(
            (
                f"{name}: {numbers}",
                y + 13,
                name,
                y + label_height - 3,
                numbers,
                format_html_join("", "{}", ((rect,) for rect in rects)),
            )
        )
    body = format_html_join(
        "",
        '<g class="chart-row"><title>{}</title><text class="chart-label" x="0" y="{}">{}</text>'
        '<text class="chart-label" x="0" y="{}">{}</text>{}</g>',
        parts,
    )
    legend_body = format_html_join(
        "",
        '<rect x="{}" y="{}" width="12" height="12" fill="{}"></rect><text class="chart-label" x="{}" y="{}">{}</text>',
        [
            (x, top, fill, x + 16, top + 11, label)
            for x, fill, label in (
                (0, FULL_FILL, _("in full")),
                (106, PARTIAL_FILL, _("partly")),
                (212, NONE_FILL, _("not yet")),
            )
        ],
    )
    height = top + legend + row_height * max(len(rows), 1)
    return format_html(
        '<svg class="chart entitlement-chart" id="{id}" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        '<g class="chart-legend">{legend}</g>{body}</svg>',
        id="reconciliation-chart",
        w=width,
        h=height,
        title=_("Households that collected, per counter"),
        desc=_("One bar per counter: in full in green, partly in amber, not yet in grey."),
        legend=legend_body,
        body=body,
    )


class ResolveForm(PageForm):
    name = "resolve"
    redemption = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=gettext_lazy("What the office decided"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("For example: the household returned the second hand-out."),
    )


@page
@require_http_methods(["GET", "POST"])
def cycle_reconciliation(request, pk):
    actor = request.user
    cycle = selectors.cycle_detail(actor=actor, pk=pk)
    _require_reconciliation(actor, cycle)
    program = cycle.program
    failed, status = None, 200
    if request.method == "POST":
        require_any(actor, MANAGE_AREAS)
        if request.POST.get("form") != ResolveForm.name:
            return HttpResponseBadRequest(_("Unknown form."))
        failed = ResolveForm(request.POST)
        if failed.is_valid():
            redemption = reconciliation.conflict_detail(actor=actor, cycle=cycle, pk=failed.cleaned_data["redemption"])

            def resolve():
                redemptions.redemption_conflict_resolve(
                    actor=actor, redemption=redemption, note=failed.cleaned_data["note"]
                )

            if apply_service(failed, resolve, fields={"redemption": None}):
                messages.success(request, _("The conflict is resolved."))
                return redirect("entitlements:reconciliation", cycle.pk)
        status = 422
    figures = reconciliation.cycle_reconciliation(actor=actor, cycle=cycle)
    conflicts = []
    for redemption in figures.conflicts:
        form = None
        if redemption.status == Redemption.Status.CONFLICT and can(actor, MANAGE_AREAS, redemption.unit):
            bound = failed is not None and str(failed["redemption"].value()) == str(redemption.pk)
            form = failed if bound else ResolveForm(initial={"redemption": redemption.pk})
            form.auto_id = f"id_resolve-{redemption.pk}-%s"
        conflicts.append({"redemption": redemption, "form": form, **_conflict_words(redemption, program)})
    context = {
        "cycle": cycle,
        "program": program,
        "rows": [{"row": row, "name": _row_name(row), **_figure_words(row.figures, program)} for row in figures.rows],
        "total": _figure_words(figures.total, program) | {"figures": figures.total},
        "chart": reconciliation_chart(figures.rows) if figures.rows else "",
        "conflicts": conflicts,
        "open_conflicts": figures.total.conflicts,
    }
    return render(request, "entitlements/reconciliation.html", context, status=status)


def _figure_words(figures, program) -> dict:
    return {
        "quantity": amount_text(figures.quantity, program.kind),
        "redeemed": amount_text(figures.redeemed, program.kind),
        "handed": amount_text(figures.handed, program.kind),
        "figures": figures,
    }


def _who(redemption) -> str:
    return redemption.clerk_name or redemption.clerk.get_full_name() or redemption.clerk.username


def _conflict_words(redemption, program) -> dict:
    first = redemption.conflict_with
    return {
        "amount": amount_text(redemption.quantity, program.kind),
        "excess": amount_text(redemption.excess, program.kind),
        "who": _who(redemption),
        "first": first,
        "first_amount": amount_text(first.quantity, program.kind) if first else "",
        "first_who": _who(first) if first else "",
    }


EXPORT_FIELDS = ("households", "quantity", "full", "partial", "unredeemed", "redeemed", "handouts", "handed")


def reconciliation_table(*, actor, cycle: Cycle) -> tuple[list[str], list[list]]:
    """The reconciliation as a table: a row per counter (and the households none serves), then the total. Quantities
    in kilograms (grain) or won, as the vouchers state them."""
    figures = reconciliation.cycle_reconciliation(actor=actor, cycle=cycle)
    program = cycle.program
    measure = _("won") if program.kind == Program.Kind.CASH_BENEFIT else _("kg")
    headers = [
        _("Counter"),
        _("Area served"),
        _("Households entitled"),
        _("Entitled (%(measure)s)") % {"measure": measure},
        _("Collected in full"),
        _("Collected in part"),
        _("Not collected"),
        _("Received (%(measure)s)") % {"measure": measure},
        _("Hand-outs at the counter"),
        _("Handed out at the counter (%(measure)s)") % {"measure": measure},
        _("Of the hand-outs, recorded offline"),
        _("Open conflicts"),
        _("Resolved conflicts"),
    ]

    def line(name, area, f):
        amount = lambda value: vouchers.voucher_quantity(program, value)  # noqa: E731
        return [
            name,
            area,
            f.households,
            amount(f.quantity),
            f.full,
            f.partial,
            f.unredeemed,
            amount(f.redeemed),
            f.handouts,
            amount(f.handed),
            f.offline,
            f.conflicts,
            f.resolved,
        ]

    rows = [
        line(_row_name(row), local_name(row.counter.area) if row.counter else "", row.figures) for row in figures.rows
    ]
    rows.append(line(_("Total"), local_name(program.area), figures.total))
    return headers, rows


@page
@require_GET
def cycle_reconciliation_export(request, pk, fmt):
    check_format(fmt)
    actor = request.user
    cycle = selectors.cycle_detail(actor=actor, pk=pk)
    _require_reconciliation(actor, cycle)
    headers, rows = reconciliation_table(actor=actor, cycle=cycle)
    return table_response(
        fmt,
        filename=f"reconciliation-{cycle.pk}-{cycle.period_start:%Y-%m}",
        title=_("Reconciliation"),
        headers=headers,
        rows=rows,
    )
