from django.contrib.auth import views as auth_views
from django.urls import path

from wangge.accounts import user_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("tokens/", views.tokens, name="tokens"),
    path("notifications/", views.notification_settings, name="notifications"),
    path("wechat/", views.wechat_bind, name="wechat_bind"),
    path("wechat/callback/", views.wechat_callback, name="wechat_callback"),
    path("wechat/unbind/", views.wechat_unbind, name="wechat_unbind"),
    path("tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(template_name="accounts/password.html", success_url="/"),
        name="password_change",
    ),
    path("users/", user_views.user_list, name="user_list"),
    path("users/new/", user_views.user_create, name="user_create"),
    path("users/<int:user_id>/", user_views.user_detail, name="user_detail"),
    path(
        "users/<int:user_id>/scopes/<int:grid_id>/revoke/",
        user_views.user_revoke_scope,
        name="user_revoke_scope",
    ),
    path("users/<int:user_id>/active/", user_views.user_toggle_active, name="user_toggle_active"),
]
