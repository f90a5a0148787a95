"""/api/v1/ endpoints: notices. Thin: scoping in the selectors, rules in the services."""

from ninja import Router

router = Router(tags=["notifications"])
