"""/api/v1/areas: the area tree. Thin: reads through selectors, writes through services."""

from ninja import Field, Query, Router, Schema, Status

from inminban.api.pagination import PageParams, page_of, paginate
from inminban.api.schemas import READ_ERRORS, WRITE_ERRORS, AreaCode, Input, PatchInput, area_in_scope, text
from inminban.common.errors import DomainError, NotVisible

from . import services
from .access import MANAGE_AREAS, require_any
from .models import Area
from .selectors import area_levels, areas_visible

router = Router(tags=["areas"])


class AreaOut(Schema):
    code: str
    name_ko: str
    name_en: str
    level: str = Field(description="Code of the area's tier (country, province, city, district, unit).")
    parent: str | None = Field(description="Code of the area above; null for a root.")
    path: str = Field(description="Codes from the root down, '/'-separated: a subtree shares the prefix.")
    depth: int
    is_unit: bool

    @staticmethod
    def resolve_level(area: Area) -> str:
        return area.level.code

    @staticmethod
    def resolve_parent(area: Area) -> str | None:
        return area.parent.code if area.parent_id else None


class AreaFilters(PageParams):
    within: AreaCode = Field(None, description="Only this area and everything under it.")
    level: text(32) = Field(None, description="Only areas of this tier, e.g. `unit`.")


class AreaIn(Input):
    parent: AreaCode | None = Field(description="Code of the area to put it under; null for a root (admins only).")
    level: text(32) = Field(description="Code of the tier, e.g. `unit`; it must lie below the parent's.")
    code: text(64) = Field(description="Unique code; it becomes part of the path and never changes.")
    name_ko: text(128, min_length=0) = ""
    name_en: text(128, min_length=0) = ""


class AreaPatch(PatchInput):
    name_ko: text(128, min_length=0) = None
    name_en: text(128, min_length=0) = None


def _visible_area(actor, code: str) -> Area:
    area = areas_visible(actor=actor).filter(code=code).first()
    if area is None:
        raise NotVisible(f"area {code} not found")
    return area


@router.get(
    "/areas",
    response={200: page_of(AreaOut, "AreaPage"), **READ_ERRORS},
    summary="List areas",
    description="The areas you can see, in tree order. `within` keeps one subtree, `level` one tier.",
)
def list_areas(request, filters: Query[AreaFilters]):
    within = area_in_scope(request.user, filters.within, field="within") if filters.within else None
    if filters.level and not area_levels().filter(code=filters.level).exists():
        raise DomainError("level", f"No area level {filters.level!r}.")
    return paginate(areas_visible(actor=request.user, within=within, level=filters.level), filters)


@router.post(
    "/areas",
    response={201: AreaOut, **WRITE_ERRORS},
    summary="Create an area",
    description="Adds an area under `parent`. Needs the right to manage the area tree there (officers, admins).",
)
def create_area(request, payload: AreaIn):
    require_any(request.user, MANAGE_AREAS)
    parent = area_in_scope(request.user, payload.parent, field="parent") if payload.parent is not None else None
    level = area_levels().filter(code=payload.level).first()
    if level is None:
        raise DomainError("level", f"No area level {payload.level!r}.")
    area = services.area_create(
        actor=request.user,
        parent=parent,
        level=level,
        code=payload.code,
        name_ko=payload.name_ko,
        name_en=payload.name_en,
    )
    return Status(201, area)


@router.get("/areas/{code}", response={200: AreaOut, **READ_ERRORS}, summary="Get an area by its code")
def get_area(request, code: AreaCode):
    return _visible_area(request.user, code)


@router.patch(
    "/areas/{code}",
    response={200: AreaOut, **WRITE_ERRORS},
    summary="Rename an area",
    description="Changes the Korean and/or English name. Codes never change: every path below contains them.",
)
def update_area(request, code: AreaCode, payload: AreaPatch):
    area = _visible_area(request.user, code)
    require_any(request.user, MANAGE_AREAS)
    return services.area_rename(actor=request.user, area=area, **payload.changes())
