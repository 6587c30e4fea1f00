from django.urls import path

from marquee.live import views

app_name = "live"

urlpatterns = [
    path("showtimes/<int:showtime_id>/seats/", views.showtime_seats, name="showtime-seats"),
]
