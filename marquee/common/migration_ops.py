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
