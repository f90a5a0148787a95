"""/api/v1/ endpoints: reports. Thin: scoping in the selectors, rules in the services."""

from ninja import Router

router = Router(tags=["feedback-reports"])
