"""Snapshot tables the dashboards read (never the ledger on a page view), KPI targets and build records."""

from __future__ import annotations

from django.db import models

from fairpath.clients.models import ClientOwned


class KpiDaily(ClientOwned):
    """One figure of one KPI for one day, client, product and dimension: numerator over denominator.

    Monthly KPIs are written on the last day of their month. A missing row means no population, not zero.
    """

    day = models.DateField()
    kpi = models.CharField(max_length=40, help_text="A code of the KPI catalogue (catalogue.py)")
    product = models.CharField(max_length=20, help_text="Agreement product, or 'none'")
    dimension = models.CharField(max_length=60, blank=True)
    numerator = models.BigIntegerField()
    denominator = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "daily KPI figure"
        permissions = [
            ("view_mi", "See MI dashboards and the KPI catalogue"),
            ("export_mi", "Export MI to Excel, CSV and PDF"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "client", "day", "product", "dimension"], name="one_kpi_figure_per_key"
            )
        ]
        indexes = [models.Index(fields=["kpi", "day", "client"], name="kpi_daily_kpi_day")]

    def __str__(self) -> str:
        return f"{self.kpi} {self.day} {self.dimension}: {self.numerator}/{self.denominator}"


class RollRateMonthly(ClientOwned):
    """Bucket-to-bucket transition counts for one calendar month (end of previous month → end of this one)."""

    month = models.DateField(help_text="The last day of the month")
    product = models.CharField(max_length=20)
    from_bucket = models.CharField(max_length=20)
    to_bucket = models.CharField(max_length=20)
    accounts = models.BigIntegerField()
    balance_minor = models.BigIntegerField(default=0, help_text="Balance at the month end, all currencies")

    class Meta:
        verbose_name = "monthly roll-rate cell"
        constraints = [
            models.UniqueConstraint(
                fields=["client", "month", "product", "from_bucket", "to_bucket"], name="one_roll_rate_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.from_bucket} → {self.to_bucket}: {self.accounts}"


class SnapshotBuild(models.Model):
    """One build of one day's snapshots (for some clients): when, how long and how many rows."""

    day = models.DateField(db_index=True)
    client_ids = models.JSONField(default=list)
    started_at = models.DateTimeField()
    seconds = models.FloatField()
    rows = models.PositiveIntegerField()
    domains = models.JSONField(default=list, help_text="Domains whose KPIs were built")
    actor_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["-day", "-started_at"]

    def __str__(self) -> str:
        return f"snapshot {self.day} ({self.rows} rows)"


class KpiTarget(models.Model):
    """A target for a KPI, editable by an administrator: per client or for all clients (client blank).

    For rates the value is a fraction (0.85 = 85%); for money it is minor units per month; for counts a
    number per day.
    """

    kpi = models.CharField(max_length=40, help_text="A code of the KPI catalogue (catalogue.py)")
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    value = models.FloatField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kpi", "client"], name="one_target_per_kpi_client")]

    def __str__(self) -> str:
        return f"{self.kpi} target {self.value}"
