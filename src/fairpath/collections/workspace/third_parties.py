"""Third parties on an account (accounts ``ThirdParty``): add and end them, and what each kind may be told.

UK-THIRDPARTY: never refuse to deal with a debt adviser or other authorised representative without a
justifiable reason; contacts with them are allowed during holds. UK-CONTACT: no disclosure of the debt to
anyone else — the disclosure lists below are shown in the workspace banner so the agent knows, before
speaking, what this person may hear. A guarantor is not the customer's representative: a surety is told
what the Consumer Credit Act gives it (ss.107-111: the agreement, the guarantee, the sums paid, due and
unpaid, and copies of default notices), never the customer's circumstances.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from fairpath.accounts.models import Agreement, ThirdParty
from fairpath.collections.workspace.actions import _text
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.governance.access import require_client, require_permission
from fairpath.governance.audit import actor_label, record_event
from fairpath.governance.models import User

PERMISSION = "collections.manage_third_party"
RULE = "UK-THIRDPARTY"

K = ThirdParty.Kind
# What each kind may be told (shown in the banner), and what never (UK-CONTACT).
DISCLOSURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    K.DEBT_ADVISER.value: (
        (
            "Balance, arrears and payment history",
            "Statements and copies of notices",
            "Interest, fees and charges",
            "Income and expenditure on file",
            "Arrangement and forbearance options; proposals are theirs to make (UK-PROPOSAL)",
            "Holds in force (debt-advice hold, breathing space)",
        ),
        ("Other agreements not named in the customer's authority",),
    ),
    K.POWER_OF_ATTORNEY.value: (
        (
            "Everything the customer may be told, within the scope of the registered power",
            "May make payments, arrangements and settlements for the customer",
        ),
        ("Anything outside the power's scope (check the registration)",),
    ),
    K.REPRESENTATIVE.value: (
        (
            "Balance, arrears and payment history",
            "Arrangement options and payments",
            "What the customer's written authority lists",
        ),
        ("Health and vulnerability details unless the authority includes them",),
    ),
    K.GUARANTOR.value: (
        (
            "A copy of the agreement and of the guarantee (CCA s.107-109)",
            "Sums paid, sums due and unpaid, and sums still to fall due",
            "Copies of default notices served on the customer (CCA s.111)",
            "That the guarantee may be called on, and the amount",
        ),
        (
            "The customer's income, expenditure or circumstances",
            "Vulnerability, health or holds",
            "The customer's contact details or other agreements",
        ),
    ),
    K.RELATIVE.value: (
        ("Nothing about the debt without the customer's authority: take a message, offer a call back",),
        ("Balance, arrears or that a debt exists (UK-CONTACT)",),
    ),
}


def disclosure_of(kind: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return DISCLOSURES.get(kind, ((), ("Nothing: the kind is unknown",)))


def _check(actor: User, agreement: Agreement) -> None:
    require_permission(actor, PERMISSION)
    require_client(actor, agreement.client_id)


def add_third_party(
    *,
    agreement: Agreement,
    actor: User,
    kind: str,
    name: str,
    authority_from: date,
    authority_until: date | None = None,
    organisation: str = "",
    phone: str = "",
    email: str = "",
    all_agreements: bool = False,
    reason: str = "",
) -> ThirdParty:
    """UK-THIRDPARTY: record an adviser, attorney, representative, relative or guarantor on the account.

    ``all_agreements``: the authority covers every agreement of the customer (a guarantor never does: a
    guarantee is of one agreement).
    """
    _check(actor, agreement)
    if kind not in ThirdParty.Kind.values:
        raise InvalidInput("Choose a kind of third party", field="kind")
    if not name.strip():
        raise InvalidInput("Name the third party", field="name")
    if len(name) > 200 or len(organisation) > 200 or len(phone) > 40 or len(email) > 254:
        raise InvalidInput("Too long", field="name")
    if email and ("@" not in email or " " in email.strip()):
        raise InvalidInput("Give a valid e-mail address", field="email")
    if authority_until is not None and authority_until < authority_from:
        raise InvalidInput("The authority cannot end before it starts", field="authority_until")
    if kind == ThirdParty.Kind.GUARANTOR and all_agreements:
        raise InvalidInput("A guarantee is of one agreement", field="all_agreements")
    if kind in (ThirdParty.Kind.POWER_OF_ATTORNEY, ThirdParty.Kind.REPRESENTATIVE) and not reason.strip():
        raise Refusal(
            "Record the authority seen (registration or signed authority)", rule=RULE, field="reason"
        )
    with transaction.atomic():
        party = ThirdParty(
            client_id=agreement.client_id, customer_id=agreement.customer_id,
            agreement=None if all_agreements else agreement, kind=kind, name=_text(name.strip(), "name", limit=200),
            organisation=organisation.strip(), phone=phone.strip(), email=email.strip(),
            authority_from=authority_from, authority_until=authority_until,
        )  # fmt: skip
        party.save()
        record_event(
            actor=actor,
            action="collections.third_party_added",
            obj=party,
            after={
                "agreement": agreement.pk, "kind": kind, "name": party.name, "all_agreements": all_agreements,
                "authority_from": authority_from, "authority_until": authority_until,
                "created_by": actor_label(actor),
            },
            reason=_text(reason, "reason", limit=500),
        )  # fmt: skip
    return party


def end_third_party(*, party: ThirdParty, actor: User, last_day: date, reason: str) -> ThirdParty:
    """End a third party's authority (revoked, adviser case closed, guarantee released) from ``last_day``."""
    require_permission(actor, PERMISSION)
    require_client(actor, party.client_id)
    if not reason.strip():
        raise InvalidInput("Say why the authority ends", field="reason")
    with transaction.atomic():
        locked = ThirdParty.objects.select_for_update().get(pk=party.pk)
        if last_day < locked.authority_from:
            raise InvalidInput("The authority cannot end before it starts", field="last_day")
        if locked.authority_until is not None and locked.authority_until < last_day:
            raise Refusal(
                f"The authority already ended on {locked.authority_until:%d %b %Y}",
                rule=RULE,
                field="last_day",
            )
        before = locked.authority_until
        locked.authority_until = last_day
        locked.save(update_fields=["authority_until"])
        record_event(
            actor=actor, action="collections.third_party_ended", obj=locked,
            before={"authority_until": before}, after={"authority_until": last_day},
            reason=_text(reason, "reason", limit=500),
        )  # fmt: skip
    return locked
