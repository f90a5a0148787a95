"""/api/v1/ endpoints: petitions. Thin: scoping in the selectors, rules in the services."""

from ninja import Router

router = Router(tags=["petitions"])
