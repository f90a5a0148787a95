"""Pages: feedback reports on a campaign or levy (ask for one, read it with its chart, print it), and the issuer's
decision to suspend, cancel or resume one. Thin: scoping in the selectors, rules in the services."""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from inminban.areas.access import MANAGE_AREAS, can, require_any
from inminban.areas.selectors import areas_visible
from inminban.duties import selectors as duty_selectors
from inminban.duties.models import Campaign, Standing
from inminban.web.decorators import page
from inminban.web.forms import Form, apply_service
from inminban.web.templatetags.inminban_web import local_name

from . import reports, suspensions
from .report_pdf import report_chart, report_pdf, report_title, total_row, unit_rows

DETAIL = {"campaign": duty_selectors.campaign_detail, "levy": duty_selectors.levy_detail}


def _obligation_url(obligation) -> str:
    kind = "campaign" if isinstance(obligation, Campaign) else "levy"
    return reverse(f"duties:{kind}", args=[obligation.pk])


# Standing ---------------------------------------------------------------------------------------------------------

CHOICES = {
    Standing.SUSPENDED: gettext_lazy("Suspend it for now (it can be resumed)"),
    Standing.CANCELLED: gettext_lazy("Cancel it for good"),
    Standing.ACTIVE: gettext_lazy("Resume it"),
}


class StandingForm(Form):
    standing = forms.ChoiceField(label=gettext_lazy("What to do"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("In a sentence. The households read it in the directive that tells them."),
    )

    def __init__(self, *args, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = [Standing.SUSPENDED, Standing.CANCELLED] if current == Standing.ACTIVE else [Standing.ACTIVE]
        if current == Standing.SUSPENDED:
            allowed.append(Standing.CANCELLED)
        self.fields["standing"].choices = [(value, CHOICES[value]) for value in allowed]


def _standing(request, kind: str, pk: int):
    user = request.user
    obligation = DETAIL[kind](actor=user, pk=pk)
    require_any(user, MANAGE_AREAS)
    if obligation.standing == Standing.CANCELLED:
        form = None
    else:
        form = StandingForm(request.POST or None, current=obligation.standing)
    status = 200
    if request.method == "POST":
        if form is None:
            messages.error(request, _("It was cancelled; a cancellation cannot be undone."))
            return redirect(_obligation_url(obligation))
        if form.is_valid():
            data = form.cleaned_data
            call = lambda: suspensions.obligation_standing_set(  # noqa: E731
                actor=user, obligation=obligation, standing=data["standing"], reason=data["reason"]
            )
            if apply_service(form, call):
                done = {
                    Standing.SUSPENDED: _("It is suspended. The households were told."),
                    Standing.CANCELLED: _("It is cancelled. The households were told."),
                    Standing.ACTIVE: _("It is in force again. The households were told."),
                }[data["standing"]]
                messages.success(request, done)
                return redirect(_obligation_url(obligation))
        status = 422
    context = {"obligation": obligation, "kind": kind, "form": form, "back": _obligation_url(obligation)}
    return render(request, "governance/reports/standing.html", context, status=status)


@page
def campaign_standing(request, pk):
    return _standing(request, "campaign", pk)


@page
def levy_standing(request, pk):
    return _standing(request, "levy", pk)


# Feedback reports -------------------------------------------------------------------------------------------------


class ReportForm(Form):
    area = forms.ChoiceField(
        label=gettext_lazy("Area"), help_text=gettext_lazy("All of it, or one part the office looks into.")
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [(area.code, local_name(area)) for area in areas]


def _report_areas(actor, obligation) -> list:
    """What a report may cover: the obligation's area and the areas under it above the units, those the actor's
    office manages, the widest first."""
    found = (
        areas_visible(actor=actor)
        .filter(path__startswith=obligation.area.path)
        .select_related("level")
        .order_by("depth", "path")[:200]
    )
    return [a for a in found if (a == obligation.area or not a.level.is_unit) and can(actor, MANAGE_AREAS, a)]


def _reports(request, kind: str, pk: int):
    user = request.user
    obligation = DETAIL[kind](actor=user, pk=pk)
    areas = _report_areas(user, obligation)
    form = ReportForm(request.POST or None, areas=areas) if areas else None
    status = 200
    if request.method == "POST":
        require_any(user, MANAGE_AREAS)
        if form is not None and form.is_valid():
            area = next(area for area in areas if area.code == form.cleaned_data["area"])
            made = {}

            def call():
                made["report"] = reports.feedback_report_request(actor=user, obligation=obligation, area=area)

            if apply_service(form, call):
                return redirect("governance-report", made["report"].pk)
        status = 422
    context = {
        "obligation": obligation,
        "kind": kind,
        "form": form,
        "reports": reports.feedback_reports_of(actor=user, obligation=obligation)[:50],
        "back": _obligation_url(obligation),
    }
    return render(request, "governance/reports/list.html", context, status=status)


@page
def campaign_reports(request, pk):
    return _reports(request, "campaign", pk)


@page
def levy_reports(request, pk):
    return _reports(request, "levy", pk)


@page
@require_GET
def report_detail(request, report_id):
    report = reports.feedback_report_detail(actor=request.user, pk=report_id)
    obligation = report.campaign or report.levy
    context = {
        "report": report,
        "title": report_title(report),
        "obligation": obligation,
        "content": report.content,
        "rows": unit_rows(report),
        "total": total_row(report),
        "chart": report_chart(report),
        "back": _obligation_url(obligation),
    }
    return render(request, "governance/reports/detail.html", context)


@page
@require_GET
def report_file(request, report_id):
    report = reports.feedback_report_detail(actor=request.user, pk=report_id)
    response = HttpResponse(report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="feedback-report-{report.pk}.pdf"'
    return response


urlpatterns = [
    path("campaigns/<int:pk>/standing/", campaign_standing, name="governance-campaign-standing"),
    path("levies/<int:pk>/standing/", levy_standing, name="governance-levy-standing"),
    path("campaigns/<int:pk>/reports/", campaign_reports, name="governance-campaign-reports"),
    path("levies/<int:pk>/reports/", levy_reports, name="governance-levy-reports"),
    path("reports/<int:report_id>/", report_detail, name="governance-report"),
    path("reports/<int:report_id>.pdf", report_file, name="governance-report-pdf"),
]
