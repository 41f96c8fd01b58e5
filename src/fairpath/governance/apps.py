from django.apps import AppConfig
from django.db.models.signals import post_migrate


class GovernanceConfig(AppConfig):
    name = "fairpath.governance"
    label = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        # Configuration seeding, not business logic: make sure the standard roles exist after migrate.
        from fairpath.governance.roles import seed_roles_after_migrate

        post_migrate.connect(seed_roles_after_migrate, sender=self)
