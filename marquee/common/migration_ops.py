"""Migration operations that only apply on one database vendor."""

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    """Raw SQL for PostgreSQL features (extensions, exclusion constraints); a no-op elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class OnVendor(migrations.operations.base.Operation):
    """Run `operation` against the database only on `vendor`; the state is left to others.

    For use in `SeparateDatabaseAndState.database_operations`, when the model state changes
    everywhere but the schema only changes on one backend."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, vendor: str, operation):
        self.vendor = vendor
        self.operation = operation

    def deconstruct(self):
        return self.__class__.__qualname__, [self.vendor, self.operation], {}

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"On {self.vendor} only: {self.operation.describe()}"
