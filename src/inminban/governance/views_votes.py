"""Pages: votes. Thin: scoping in the selectors, rules in the services."""

urlpatterns = []
