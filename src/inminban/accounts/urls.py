from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("account/", views.account_mine, name="mine"),
    path("account/password/", views.password_change, name="password"),
    path("account/sessions/<int:pk>/end", views.session_end, name="session-end"),
    path("account/tokens/<int:pk>/revoke", views.token_revoke, name="token-revoke"),
    path("account/code/", views.password_with_code, name="password-with-code"),
    path("accounts/", views.account_list, name="list"),
    path("accounts/new/", views.account_new, name="new"),
    path("accounts/<int:pk>/", views.account_page, name="page"),
    path("accounts/<int:pk>/code/", views.account_code, name="code"),
]
