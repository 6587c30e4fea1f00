"""The moviegoer's site, mounted at `/` (config/urls.py)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from marquee.web.views import accounts, bookings, catalog, picker, waitlist

app_name = "web"

urlpatterns = [
    path("", catalog.home, name="home"),
    path("movies/<int:movie_id>/", catalog.movie, name="movie"),
    path("showtimes/<int:showtime_id>/", picker.seat_picker, name="seat-picker"),
    path("showtimes/<int:showtime_id>/hold/", picker.hold, name="hold"),
    path("showtimes/<int:showtime_id>/waitlist/", waitlist.waitlist_page, name="waitlist"),
    path("bookings/", bookings.booking_list, name="bookings"),
    path("bookings/<uuid:public_id>/", bookings.booking_detail, name="booking"),
    path("bookings/<uuid:public_id>/pay/", bookings.booking_pay, name="booking-pay"),
    path("bookings/<uuid:public_id>/cancel/", bookings.booking_cancel, name="booking-cancel"),
    path("bookings/<uuid:public_id>/voucher/", bookings.booking_voucher, name="booking-voucher"),
    path(
        "bookings/<uuid:public_id>/give-back/",
        bookings.booking_give_back,
        name="booking-give-back",
    ),
    path("bookings/<uuid:public_id>/calendar.ics", bookings.booking_calendar, name="booking-ics"),
    path("tickets/<int:ticket_id>/qr.svg", bookings.ticket_qr, name="ticket-qr"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/verify/", accounts.verify_sent, name="verify-sent"),
    path("accounts/verify/<uidb64>/<token>/", accounts.verify_email, name="verify-email"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", accounts.PasswordResetView.as_view(), name="password-reset"),
    path(
        "accounts/password-reset/sent/",
        accounts.PasswordResetDoneView.as_view(),
        name="password-reset-done",
    ),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "accounts/password-reset/done/",
        accounts.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path("language/", accounts.language, name="set-language"),
]
