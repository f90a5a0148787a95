"""/api/v1/ endpoints: feedback reports on a campaign or levy, and the issuer's decision to suspend, cancel or resume
one. Thin: scoping in the selectors, rules in the services.

The standing endpoints keep the paths and operation ids they had under duties (`POST /campaigns/{id}/standing`,
`POST /levies/{id}/standing`, tags campaigns and levies): the decision now goes through governance/suspensions.py,
which also answers the petitions about it and tells the households."""

from datetime import datetime

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from inminban.api.pagination import PageParams, page_of, paginate
from inminban.api.schemas import READ_ERRORS, WRITE_ERRORS, AreaCode, Id, Input, area_in_scope
from inminban.areas.access import MANAGE_AREAS, require_any
from inminban.common.errors import DomainError
from inminban.duties import selectors as duty_selectors
from inminban.duties.api import CampaignOut, LevyOut, StandingIn

from .. import reports, suspensions
from ..models import FeedbackReport
from ..report_pdf import report_pdf

router = Router(tags=["feedback-reports"])


# Standing (suspend, cancel, resume) -------------------------------------------------------------------------------


def _standing_route(kind: str, prefix: str, detail, tag: str, out) -> None:
    @router.post(
        f"/{prefix}/{{obligation_id}}/standing",
        response={200: out, **WRITE_ERRORS},
        tags=[tag],
        summary=f"Suspend, cancel or resume a {kind} (its issuing office, or one above it)",
        description="A reason is required. Suspending or cancelling cancels every open share (what was still owed is "
        "forgiven, never passed on to other households); stamps already issued stay valid, and rules that require "
        "its stamp count it as fulfilled while it is stopped. Open petitions about it are answered with the "
        "decision, and every household of its area is told through a directive to acknowledge. Resuming (a "
        "suspension only; a cancellation is final) restores exactly the shares the suspension cancelled.",
        operation_id=f"set_{kind}_standing",
    )
    def set_standing(request, obligation_id: int, payload: StandingIn):
        obligation = detail(actor=request.user, pk=obligation_id)
        require_any(request.user, MANAGE_AREAS)
        return suspensions.obligation_standing_set(
            actor=request.user, obligation=obligation, standing=payload.standing, reason=payload.reason
        )


_standing_route("campaign", "campaigns", duty_selectors.campaign_detail, "campaigns", CampaignOut)
_standing_route("levy", "levies", duty_selectors.levy_detail, "levies", LevyOut)


# Feedback reports -------------------------------------------------------------------------------------------------


class ReportFigures(Schema):
    quota: str = Field(description="What the office asked of the unit (decimal as text).")
    allocated: str = Field(description="The households' shares added up.")
    waived: str = Field(description="Forgiven by approved waivers.")
    due: str = Field(description="Allocated less waived.")
    done: str = Field(description="Hours attended or goods delivered.")
    shortfall: str = Field(description="Still owed on shares in force: due − done, never below zero.")
    cancelled_remaining: str = Field(description="Still owed on shares the issuer cancelled: forgiven, counted apart.")
    households: int = Field(description="Households with a share.")
    fulfilled: int = Field(description="Households whose share in force is done.")
    cancelled_shares: int
    waivers_requested: int
    waivers_requested_quantity: str
    waivers_granted: int
    waivers_granted_quantity: str
    waivers_pending: int
    exemptions: dict[str, int] = Field(
        description="Persons with a recorded exemption in force on the quota's as-of day, by reason code "
        "(disability, pregnancy, infant_care)."
    )
    excused_by_exemption: int = Field(description="Persons the allocation excused for a recorded exemption.")
    petitions: int = Field(description="Petitions about it opened in the unit (not withdrawn).")
    signatures: int = Field(description="Signatures (not withdrawn) from the unit's households on them.")
    complaints: int = Field(description="Petitions about an official's conduct opened in the unit since it started.")
    complaint_signatures: int


class ReportUnit(ReportFigures):
    unit: str = Field(description="The unit's code.")
    name_ko: str
    name_en: str
    as_of: str = Field(description="The day the quota's allocation read the registry (YYYY-MM-DD).")


class FeedbackReportOut(Schema):
    id: int
    office: str = Field(alias="office.code", description="The office that asked for it.")
    campaign: int | None = Field(alias="campaign_id")
    levy: int | None = Field(alias="levy_id")
    obligation_title: str
    area: str = Field(alias="area.code", description="The area it covers.")
    requested_by: str
    requested_at: datetime
    units: list[ReportUnit]
    total: ReportFigures
    basis: dict[str, str] = Field(description="What the less obvious figures count, in words.")
    pdf_url: str

    @staticmethod
    def resolve_obligation_title(report: FeedbackReport) -> str:
        return (report.campaign or report.levy).title

    @staticmethod
    def resolve_requested_by(report: FeedbackReport) -> str:
        return report.requested_by.username

    @staticmethod
    def resolve_units(report: FeedbackReport) -> list:
        return report.content["units"]

    @staticmethod
    def resolve_total(report: FeedbackReport) -> dict:
        return report.content["total"]

    @staticmethod
    def resolve_basis(report: FeedbackReport) -> dict:
        return report.content["basis"]

    @staticmethod
    def resolve_pdf_url(report: FeedbackReport) -> str:
        return f"/api/v1/feedback-reports/{report.pk}.pdf"


class ReportSummaryOut(Schema):
    id: int
    office: str = Field(alias="office.code")
    campaign: int | None = Field(alias="campaign_id")
    levy: int | None = Field(alias="levy_id")
    obligation_title: str
    area: str = Field(alias="area.code")
    requested_at: datetime

    @staticmethod
    def resolve_obligation_title(report: FeedbackReport) -> str:
        return (report.campaign or report.levy).title


class ReportIn(Input):
    campaign: Id | None = Field(None, description="The campaign to report on; or give levy.")
    levy: Id | None = Field(None, description="The levy to report on; or give campaign.")
    area: AreaCode | None = Field(None, description="A part of its area to report on (default: all of it).")


class ReportFilter(PageParams):
    campaign: int | None = Field(None, ge=1, le=2**63 - 1, description="Only reports on this campaign.")
    levy: int | None = Field(None, ge=1, le=2**63 - 1, description="Only reports on this levy.")


def _obligation(actor, payload: ReportIn):
    if (payload.campaign is None) == (payload.levy is None):
        raise DomainError("campaign", "Give a campaign or a levy, not both.")
    # A campaign or levy out of the actor's sight answers 404, as in a path.
    if payload.campaign is not None:
        return duty_selectors.campaign_detail(actor=actor, pk=payload.campaign)
    return duty_selectors.levy_detail(actor=actor, pk=payload.levy)


@router.post(
    "/feedback-reports",
    response={201: FeedbackReportOut, **WRITE_ERRORS},
    summary="Ask for a feedback report on a campaign or levy",
    description="An office over the obligation's area (or, with `area`, over a part of it) has the report compiled "
    "now, per unit and in total, and kept as compiled. A campaign or levy you cannot see answers 404.",
)
def create_report(request, payload: ReportIn):
    require_any(request.user, MANAGE_AREAS)
    obligation = _obligation(request.user, payload)
    area = area_in_scope(request.user, payload.area, field="area") if payload.area else None
    report = reports.feedback_report_request(actor=request.user, obligation=obligation, area=area)
    return Status(201, reports.feedback_report_detail(actor=request.user, pk=report.pk))


@router.get(
    "/feedback-reports",
    response={200: page_of(ReportSummaryOut, "FeedbackReportPage"), **READ_ERRORS},
    summary="Feedback reports you may read",
    description="Newest first: those on areas you look into (the office that asked, the offices above, auditors).",
)
def list_reports(request, filters: Query[ReportFilter]):
    found = reports.feedback_reports_visible(actor=request.user)
    if filters.campaign is not None:
        found = found.filter(campaign_id=filters.campaign)
    if filters.levy is not None:
        found = found.filter(levy_id=filters.levy)
    return paginate(found, filters)


@router.get(
    "/feedback-reports/{report_id}.pdf",
    response={200: None, **READ_ERRORS},
    summary="A feedback report, printable",
    description="The report as an A4 PDF (media type application/pdf), in the request's language.",
    openapi_extra={
        "responses": {
            200: {
                "description": "The report as a PDF document.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def report_as_pdf(request, report_id: int):
    report = reports.feedback_report_detail(actor=request.user, pk=report_id)
    response = HttpResponse(report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="feedback-report-{report.pk}.pdf"'
    return response


@router.get("/feedback-reports/{report_id}", response={200: FeedbackReportOut, **READ_ERRORS}, summary="A report")
def get_report(request, report_id: int):
    return reports.feedback_report_detail(actor=request.user, pk=report_id)
