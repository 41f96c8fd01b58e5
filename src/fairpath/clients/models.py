"""Client lenders: the tenancy boundary. Every customer-facing record belongs to exactly one client."""

from __future__ import annotations

from django.db import models


class Client(models.Model):
    """A lender whose portfolio is serviced here (a BPO runs several side by side)."""

    code = models.SlugField(
        max_length=40, unique=True, help_text="Short stable code used in files, URLs and the API"
    )
    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=300, blank=True)
    base_currency = models.CharField(max_length=3, default="GBP")
    regulator_reference = models.CharField(
        max_length=40, blank=True, help_text="e.g. FCA firm reference number"
    )
    complaints_email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClientScopedQuerySet(models.QuerySet):
    """A queryset of records that belong to a client; ``for_user`` narrows it to the user's clients."""

    def for_user(self, user) -> ClientScopedQuerySet:  # noqa: ANN001 - a governance.User
        from fairpath.governance.access import client_ids_for

        return self.filter(client_id__in=client_ids_for(user))


class ClientOwned(models.Model):
    """Abstract base for every customer-facing record: it belongs to one client."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        abstract = True


def client_of_parent(*, db_index: bool = True) -> models.ForeignKey[Client, Client]:
    """The ``client`` of a row written in bulk under a parent that already carries it (a ledger entry's
    agreement, an allocation's entry, a statement line's file, a match's line).

    The column is copied from the parent, read and locked in the same transaction, and the parent's own
    foreign key proves that client exists; clients are never deleted (PROTECT still refuses it here). So the
    database does not check it again row by row: at commit of a 100k-line statement on a 1M book those
    checks took 4.1 s. Scoping queries still filter on it, through its index."""
    return models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=db_index
    )
