from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "fairpath.work"
    label = "work"
    verbose_name = "Work"
