"""Client lenders over the API (scoped to the caller's clients)."""

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from pydantic import ConfigDict, EmailStr

from fairpath.api.permissions import operation
from fairpath.clients import actions, selectors
from fairpath.clients.models import Client
from fairpath.governance.access import acting_user

router = Router()


class ClientOut(Schema):
    code: str
    name: str
    legal_name: str
    base_currency: str
    regulator_reference: str
    complaints_email: str
    is_active: bool


class ClientChange(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    legal_name: str | None = None
    regulator_reference: str | None = None
    complaints_email: EmailStr | None = None
    is_active: bool | None = None
    reason: str = ""


def _visible(request: HttpRequest, code: str) -> Client:
    client = selectors.clients_for(request.user).filter(code=code).first()
    if client is None:
        raise Http404(f"No client {code!r} among yours")
    return client


@operation(router.get, "", permission="clients.view_client", response=list[ClientOut])
def list_clients(request: HttpRequest) -> list[Client]:
    return list(selectors.clients_for(request.user))


@operation(router.get, "/{code}", permission="clients.view_client", response=ClientOut)
def get_client(request: HttpRequest, code: str) -> Client:
    return _visible(request, code)


@operation(router.patch, "/{code}", permission="clients.change_client", response=ClientOut)
def change_client(request: HttpRequest, code: str, payload: ClientChange) -> Client:
    client = _visible(request, code)
    changes = payload.model_dump(exclude_unset=True, exclude={"reason"})
    return actions.update_client(
        client=client, changes=changes, actor=acting_user(request), reason=payload.reason
    )
