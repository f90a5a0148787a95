"""/api/v1/ endpoints: votes. Thin: scoping in the selectors, rules in the services."""

from ninja import Router

router = Router(tags=["nominations", "votes", "governance-rules"])
