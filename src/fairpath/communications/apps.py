from django.apps import AppConfig


class CommunicationsConfig(AppConfig):
    name = "fairpath.communications"
    label = "communications"
    verbose_name = "Communications"
