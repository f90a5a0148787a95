"""A small builder for the hand-assembled SQL of the set-based paths (ration cycles, the integrity scan): the text
and its parameters grow together, so a placeholder never drifts from its value."""

from django.db import connection


class Sql:
    """SQL text in parts, with its parameters in the same order."""

    def __init__(self, text: str = "", *params):
        self.parts: list[str] = [text] if text else []
        self.params: list = list(params)

    def add(self, text: str, *params) -> "Sql":
        self.parts.append(text)
        self.params.extend(params)
        return self

    def extend(self, other: "Sql") -> "Sql":
        self.parts.extend(other.parts)
        self.params.extend(other.params)
        return self

    @property
    def text(self) -> str:
        return "".join(self.parts)


def table(model) -> str:
    """The model's table, quoted for the database in use."""
    return connection.ops.quote_name(model._meta.db_table)
