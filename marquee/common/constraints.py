"""A conditional unique constraint that every supported database enforces.

PostgreSQL and SQLite have partial unique indexes (`UNIQUE ... WHERE condition`); MySQL and
MariaDB do not, and Django silently creates nothing there. On those two this constraint
adds a stored generated column that holds the last field's value only while the condition
holds (NULL otherwise, and NULLs never collide in a unique index) and a unique index on the
other fields and that column: the same rows are refused, by the database, on every backend.
The model and its migrations are the same everywhere; the backend picks the SQL.
"""

from __future__ import annotations

from django.core import checks
from django.db.models import UniqueConstraint


def _uses_generated_column(connection) -> bool:
    return connection.vendor == "mysql"


class ConditionalUniqueConstraint(UniqueConstraint):
    """`UniqueConstraint(fields=..., condition=...)`, enforced on MySQL and MariaDB too."""

    def __init__(self, *, fields, condition, name, **kwargs):
        if not fields or condition is None:
            raise ValueError("ConditionalUniqueConstraint needs fields and a condition.")
        if kwargs.get("expressions") or kwargs.get("include") or kwargs.get("deferrable"):
            raise ValueError("ConditionalUniqueConstraint takes fields and a condition only.")
        super().__init__(fields=fields, condition=condition, name=name, **kwargs)

    @property
    def key_column(self) -> str:
        """The generated column on MySQL/MariaDB: the last field while the condition holds."""
        return f"{self.name}_key"

    def _check(self, model, connection):
        # Django warns (models.W036) that MySQL cannot express the condition; here it can.
        errors = super()._check(model, connection)
        if _uses_generated_column(connection):
            errors = [e for e in errors if e.id != "models.W036"]
        return errors

    def _generated_sql(self, model, schema_editor) -> tuple[str, str, str]:
        quote = schema_editor.quote_name
        fields = [model._meta.get_field(name) for name in self.fields]
        last = fields[-1]
        condition = self._get_condition_sql(model, schema_editor)
        column_type = last.db_type(schema_editor.connection)
        if last.is_relation:  # a foreign key column has its target's type
            column_type = last.target_field.rel_db_type(schema_editor.connection)
        column = (
            f"{quote(self.key_column)} {column_type} GENERATED ALWAYS AS "
            f"(CASE WHEN {condition} THEN {quote(last.column)} END) STORED"
        )
        key = ", ".join([*(quote(f.column) for f in fields[:-1]), quote(self.key_column)])
        return quote(model._meta.db_table), column, key

    def constraint_sql(self, model, schema_editor):
        if not _uses_generated_column(schema_editor.connection):
            return super().constraint_sql(model, schema_editor)
        # Inside CREATE TABLE: run the ALTER once the table exists.
        schema_editor.deferred_sql.append(self.create_sql(model, schema_editor))
        return None

    def create_sql(self, model, schema_editor):
        if not _uses_generated_column(schema_editor.connection):
            return super().create_sql(model, schema_editor)
        table, column, key = self._generated_sql(model, schema_editor)
        return (
            f"ALTER TABLE {table} ADD COLUMN {column}, "
            f"ADD CONSTRAINT {schema_editor.quote_name(self.name)} UNIQUE ({key})"
        )

    def remove_sql(self, model, schema_editor):
        if not _uses_generated_column(schema_editor.connection):
            return super().remove_sql(model, schema_editor)
        quote = schema_editor.quote_name
        return (
            f"ALTER TABLE {quote(model._meta.db_table)} DROP INDEX {quote(self.name)}, "
            f"DROP COLUMN {quote(self.key_column)}"
        )


@checks.register(checks.Tags.models, checks.Tags.database)
def check_conditional_unique_constraints(app_configs, **kwargs):
    """A plain conditional UniqueConstraint in Marquee's models would be skipped on MySQL."""
    from django.apps import apps

    errors = []
    for model in apps.get_models():
        if not model.__module__.startswith("marquee."):
            continue
        for constraint in model._meta.constraints:
            if (
                isinstance(constraint, UniqueConstraint)
                and constraint.condition is not None
                and not isinstance(constraint, ConditionalUniqueConstraint)
            ):
                errors.append(
                    checks.Error(
                        f"{constraint.name} is a conditional UniqueConstraint: MySQL and "
                        "MariaDB would not enforce it.",
                        hint="Use marquee.common.constraints.ConditionalUniqueConstraint.",
                        obj=model,
                        id="marquee.E010",
                    )
                )
    return errors
