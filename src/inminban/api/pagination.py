"""Every list answers {"items": [...], "count": N}, paged with `limit` (at most 500) and `offset`."""

from django.db.models import QuerySet
from ninja import Field, Schema

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
# Far beyond any real offset, but inside what SQLite and PostgreSQL accept in OFFSET.
MAX_OFFSET = 2**31 - 1


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Items per page, at most {MAX_LIMIT}.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many items to skip.")


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """The response schema of a list of `item`, named for the OpenAPI document (e.g. "DwellingPage")."""
    return type(name, (Schema,), {"__annotations__": {"items": list[item], "count": int}})


def paginate(queryset: QuerySet, params: PageParams) -> dict:
    return {"items": list(queryset[params.offset : params.offset + params.limit]), "count": queryset.count()}
