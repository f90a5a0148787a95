from django.db.models import Model


def snapshot(instance: Model, fields: list[str] | tuple[str, ...]) -> dict:
    """The named fields of an instance, with foreign keys as their ids, for an audit entry's before/after."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        values[name] = getattr(instance, field.attname)
    return values
