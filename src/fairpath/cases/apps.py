from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "fairpath.cases"
    label = "cases"
    verbose_name = "Cases"
