from django.db import migrations

DEFAULT_LEVELS = [
    ("country", 0, "국가", "Country", False),
    ("province", 1, "도", "Province", False),
    ("city", 2, "시·군", "City / county", False),
    ("district", 3, "구역·동", "District", False),
    ("unit", 4, "인민반", "Neighborhood unit", True),
]


def add_levels(apps, schema_editor):
    AreaLevel = apps.get_model("areas", "AreaLevel")
    for code, rank, name_ko, name_en, is_unit in DEFAULT_LEVELS:
        AreaLevel.objects.get_or_create(
            code=code, defaults={"rank": rank, "name_ko": name_ko, "name_en": name_en, "is_unit": is_unit}
        )


class Migration(migrations.Migration):
    dependencies = [("areas", "0002_initial")]
    operations = [migrations.RunPython(add_levels, migrations.RunPython.noop)]
