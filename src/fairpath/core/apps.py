from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fairpath.core"
    label = "core"
    verbose_name = "Core"
