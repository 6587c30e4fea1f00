"""Catalog routes under /api/; route names (movie-list, screen-seats-generate, ...) are stable."""

from rest_framework.routers import SimpleRouter

from marquee.catalog import api

router = SimpleRouter()
router.register("genres", api.GenreViewSet, basename="genre")
router.register("movies", api.MovieViewSet, basename="movie")
router.register("theaters", api.TheaterViewSet, basename="theater")
router.register("screens", api.ScreenViewSet, basename="screen")
router.register("showtimes", api.ShowtimeViewSet, basename="showtime")
router.register("ticket-types", api.TicketTypeViewSet, basename="ticket-type")
router.register("price-cards", api.PriceCardViewSet, basename="price-card")

urlpatterns = router.urls
