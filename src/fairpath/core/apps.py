from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fairpath.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from fairpath.core import lookups  # noqa: F401 - registers field__any_of
