"""/api/v1 endpoints for health checks (built by the health helper)."""

from ninja import Router

router = Router(tags=["health-checks"])
