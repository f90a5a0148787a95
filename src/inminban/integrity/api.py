"""/api/v1 endpoints for integrity flags and detection rules (built by the integrity helper)."""

from ninja import Router

router = Router(tags=["integrity-flags"])
