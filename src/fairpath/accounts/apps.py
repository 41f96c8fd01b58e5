from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fairpath.accounts"
    label = "accounts"
    verbose_name = "Accounts"
