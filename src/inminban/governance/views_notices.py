"""Pages: notices. Thin: scoping in the selectors, rules in the services."""

urlpatterns = []
