from django.urls import path

from marquee.accounts import api

app_name = "accounts"

urlpatterns = [
    path("signup/", api.SignupView.as_view(), name="signup"),
    path("login/", api.LoginView.as_view(), name="login"),
    path("refresh/", api.RefreshView.as_view(), name="refresh"),
    path("logout/", api.LogoutView.as_view(), name="logout"),
    path("me/", api.MeView.as_view(), name="me"),
    path("users/", api.UserListView.as_view(), name="user-list"),
    path("users/<int:user_id>/role/", api.UserRoleView.as_view(), name="user-role"),
]
