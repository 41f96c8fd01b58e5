from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "fairpath.payments"
    label = "payments"
    verbose_name = "Payments"
