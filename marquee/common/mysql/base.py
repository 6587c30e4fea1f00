"""Django's MySQL backend (MySQL 8 and MariaDB), made to keep Marquee's promises as PostgreSQL
does, and refusing a server that cannot.

- Tables are created with a binary collation, so `exact` and uniqueness compare text as
  PostgreSQL does (a case-insensitive default collation would log "ALICE" in as "alice"),
  and the case-insensitive lookups compare `UPPER()` of both sides, as on PostgreSQL.
- Older servers lack or ignore what the guarantees rest on: CHECK constraints are enforced
  from MySQL 8.0.16, `SKIP LOCKED` arrives in MariaDB 10.6, and theater-local days in reports
  need the server's time zone tables. A connection to such a server fails with a clear message.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db import NotSupportedError
from django.db.backends.mysql import base, features, operations, schema

from marquee.common.constraints import ConditionalUniqueConstraint

MINIMUM_MYSQL = (8, 0, 16)
MINIMUM_MARIADB = (10, 11)
CASE_INSENSITIVE_LOOKUPS = ("iexact", "icontains", "istartswith", "iendswith")


class DatabaseFeatures(features.DatabaseFeatures):
    @property
    def minimum_database_version(self):
        return MINIMUM_MARIADB if self.connection.mysql_is_mariadb else MINIMUM_MYSQL


class DatabaseOperations(operations.DatabaseOperations):
    def lookup_cast(self, lookup_type, internal_type=None):
        lookup = super().lookup_cast(lookup_type, internal_type)
        if lookup_type in CASE_INSENSITIVE_LOOKUPS:
            return f"UPPER({lookup})"
        return lookup


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    sql_create_table = (
        "CREATE TABLE %(table)s (%(definition)s) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
    )

    def remove_constraint(self, model, constraint):
        if not isinstance(constraint, ConditionalUniqueConstraint):
            return super().remove_constraint(model, constraint)
        # Its index starts with the fields before the last (the last is the generated column):
        # only those can be a foreign key that needs an index of its own once it is gone.
        self._create_missing_fk_index(model, fields=constraint.fields[:-1])
        self.execute(constraint.remove_sql(model, self))


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations
    SchemaEditorClass = DatabaseSchemaEditor
    operators = {
        **base.DatabaseWrapper.operators,
        "iexact": "LIKE UPPER(%s)",
        "icontains": "LIKE UPPER(%s)",
        "istartswith": "LIKE UPPER(%s)",
        "iendswith": "LIKE UPPER(%s)",
    }
    pattern_ops = {
        **base.DatabaseWrapper.pattern_ops,
        "icontains": "LIKE UPPER(CONCAT('%%', {}, '%%'))",
        "istartswith": "LIKE UPPER(CONCAT({}, '%%'))",
        "iendswith": "LIKE UPPER(CONCAT('%%', {}))",
    }

    def check_database_version_supported(self):
        try:
            super().check_database_version_supported()
        except NotSupportedError as error:
            raise NotSupportedError(
                f"{error} Marquee needs MySQL {'.'.join(map(str, MINIMUM_MYSQL))}+ or MariaDB "
                f"{'.'.join(map(str, MINIMUM_MARIADB))}+ to enforce its constraints."
            ) from None
        if not self.features.has_zoneinfo_database:
            raise ImproperlyConfigured(
                "The MySQL/MariaDB server has no time zone tables, so theater-local days in "
                "reports would come out empty. Load them once: "
                "mysql_tzinfo_to_sql /usr/share/zoneinfo | mysql -u root mysql"
            )
