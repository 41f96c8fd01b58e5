from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fairpath.api"
    label = "api"
    verbose_name = "API"
