from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "fairpath.collections"
    label = "collections"
    verbose_name = "Collections"
