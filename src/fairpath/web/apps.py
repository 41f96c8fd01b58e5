from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fairpath.web"
    label = "web"
    verbose_name = "Web"
