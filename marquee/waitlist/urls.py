from django.urls import path

from marquee.waitlist import api

urlpatterns = [
    path("showtimes/<int:pk>/waitlist/", api.WaitlistView.as_view(), name="showtime-waitlist"),
]
