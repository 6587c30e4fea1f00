from django.db import migrations

from marquee.common.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    """Two scheduled showtimes on one screen never overlap, even by raw SQL (PostgreSQL)."""

    dependencies = [("catalog", "0001_initial")]

    operations = [
        PostgresOnlySQL(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS btree_gist",
                """
                ALTER TABLE catalog_showtime ADD CONSTRAINT showtime_no_overlap
                EXCLUDE USING gist (
                    screen_id WITH =,
                    tstzrange(starts_at, ends_at, '[)') WITH &&
                ) WHERE (status = 'scheduled')
                """,
            ],
            reverse_sql=["ALTER TABLE catalog_showtime DROP CONSTRAINT showtime_no_overlap"],
        )
    ]
