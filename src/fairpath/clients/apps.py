from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "fairpath.clients"
    label = "clients"
    verbose_name = "Clients"
