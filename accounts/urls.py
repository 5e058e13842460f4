from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("accounts/password-change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password-change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("org/switch/", views.SwitchOrganizationView.as_view(), name="switch-org"),
    path("org/none/", views.NoOrganizationView.as_view(), name="no-organization"),
]
