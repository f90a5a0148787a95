"""Words shared by the pages that show an office's rules (stay deadlines, detection rules)."""

from django.utils.translation import gettext as _

from inminban.audit.references import local_name


def rule_source(rule_office, office) -> str:
    """Where the rule an office works by comes from: its own row, an office above's, or the deployment's default
    (`rule_office` None)."""
    if rule_office is None:
        return _("The default for every office")
    if rule_office.pk == office.pk:
        return _("This office's own rule")
    return _("Inherited from %(office)s, above this office") % {"office": local_name(rule_office)}
