"""/api/v1 endpoints for overnight stays (built by the stays helper)."""

from ninja import Router

router = Router(tags=["stays"])
