from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "marquee.catalog"
    label = "catalog"

    def ready(self) -> None:
        # Connect the seat-layout cache invalidation in every process, not only where the
        # booking app happens to import it first.
        from marquee.catalog import cache, layout  # noqa: F401
