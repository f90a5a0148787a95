from django.db import migrations

# The rules a fresh deployment starts with; offices add their own. Working age 17–60 as in the demo's registry.
DEFAULT_RULES = [
    ("equal", "세대별 균등", "Equal per household", "equal"),
    ("working-age", "로동년령 인원별", "Per working-age member", "working_age"),
    ("capacity", "신고소득별", "Per capacity (declared income)", "capacity"),
]
ALL_REASONS = ["disability", "infant_care", "pregnancy"]


def add_rules(apps, schema_editor):
    AllocationRule = apps.get_model("duties", "AllocationRule")
    for code, name_ko, name_en, method in DEFAULT_RULES:
        AllocationRule.objects.get_or_create(
            code=code,
            defaults={
                "name_ko": name_ko,
                "name_en": name_en,
                "method": method,
                "min_age": 17,
                "max_age": 60,
                "exempt_reasons": ALL_REASONS,
                "exempt_occupations": [],
            },
        )


class Migration(migrations.Migration):
    dependencies = [("duties", "0001_initial")]
    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
