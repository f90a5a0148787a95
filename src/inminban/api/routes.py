"""Endpoints about the caller and the API itself."""

from ninja import Router, Schema

from inminban.api.schemas import errors
from inminban.areas.access import scope_for

router = Router(tags=["me"])


class MeOut(Schema):
    username: str
    roles: list[str]
    is_admin: bool


@router.get("/me", response={200: MeOut, **errors(401, 503)}, summary="Who the caller is and which roles they hold")
def me(request):
    scope = scope_for(request.user)
    return MeOut(username=request.user.username, roles=sorted(scope.roles), is_admin=scope.is_admin)
