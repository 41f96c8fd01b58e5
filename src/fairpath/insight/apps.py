from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "fairpath.insight"
    label = "insight"
    verbose_name = "Insight (MI)"
