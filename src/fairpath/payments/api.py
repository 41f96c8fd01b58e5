"""Payment files, the suspense and suggestion queue, and manual matching over the API (scoped to clients)."""

import base64
import binascii
from datetime import date, datetime
from typing import Literal

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from fairpath.accounts.models import Agreement
from fairpath.api.permissions import operation
from fairpath.clients.models import Client
from fairpath.core.errors import InvalidInput
from fairpath.governance.access import acting_user, client_ids_for
from fairpath.payments import actions, selectors
from fairpath.payments.models import PaymentFile, StatementLine

router = Router()

FormatName = Literal["camt053", "camt054", "bai2", "mt940", "csv", "arudd"]


class UploadIn(Schema):
    client_id: int
    name: str = Field(min_length=1, max_length=255)
    content: str = Field(min_length=1, description="The file: text, or base64 when encoding is base64")
    encoding: Literal["text", "base64"] = "text"
    format: FormatName | None = None
    mapping: str | None = Field(default=None, max_length=60)


class ImportOut(Schema):
    file_id: int | None
    format: str
    lines: int
    posted: int
    suggested: int
    suspense: int
    returned: int
    ignored: int
    skipped: int
    already_imported: bool
    auto_match_rate: float | None


class FileOut(Schema):
    id: int
    client_id: int
    name: str
    format: str
    imported_at: datetime
    imported_by: str
    lines_total: int
    lines_net_minor: int
    control_count: int | None
    control_total_minor: int | None
    posted: int
    suggested: int
    suspense: int
    returned: int
    ignored: int
    skipped: int


class SuggestionOut(Schema):
    agreement_id: int
    agreement_reference: str
    amount_minor: int
    step: str
    confidence: float


class LineOut(Schema):
    id: int
    client_id: int
    file_id: int
    booked_on: date
    age_days: int
    amount_minor: int
    currency: str
    reference: str
    payer_name: str
    status: str
    suggestions: list[SuggestionOut]


class AllocationIn(Schema):
    agreement_id: int
    amount_minor: int


class MatchIn(Schema):
    confirm: bool = Field(default=False, description="Post the suggestion as proposed")
    allocations: list[AllocationIn] = Field(default_factory=list, max_length=20)
    reason: str = Field(default="", max_length=300)


def _file_out(payment_file: PaymentFile) -> FileOut:
    return FileOut.model_validate(payment_file, from_attributes=True)


def _line_out(line: StatementLine, today: date) -> LineOut:
    suggestions = [
        SuggestionOut(agreement_id=m.agreement_id, agreement_reference=m.agreement.reference,
                      amount_minor=m.amount_minor, step=m.step, confidence=m.confidence)
        for m in line.matches.all() if m.status == "suggested"
    ]  # fmt: skip
    return LineOut(
        id=line.pk, client_id=line.client_id, file_id=line.file_id, booked_on=line.booked_on,
        age_days=(today - line.booked_on).days, amount_minor=line.amount_minor, currency=line.currency,
        reference=line.reference, payer_name=line.payer_name, status=line.status, suggestions=suggestions,
    )  # fmt: skip


@operation(router.post, "/files", permission="payments.import_payments", response={201: ImportOut})
def upload_file(request: HttpRequest, payload: UploadIn) -> Status:
    user = acting_user(request)
    if payload.client_id not in client_ids_for(user):
        raise Http404
    client = Client.objects.get(pk=payload.client_id)
    if payload.encoding == "base64":
        try:
            data = base64.b64decode(payload.content, validate=True)
        except (binascii.Error, ValueError) as error:
            raise InvalidInput("The content is not valid base64", field="content") from error
    else:
        data = payload.content.encode("utf-8")
    summary = actions.import_file(
        client=client, data=data, name=payload.name, actor=user, fmt=payload.format, mapping=payload.mapping
    )
    return Status(201, ImportOut(**summary.as_dict()))


@operation(router.get, "/files", permission="payments.view_paymentfile", response=list[FileOut])
def list_files(request: HttpRequest, limit: int = 50) -> list[FileOut]:
    return [_file_out(f) for f in selectors.files_for(request.user)[: max(1, min(limit, 200))]]


@operation(router.get, "/suspense", permission="payments.view_statementline", response=list[LineOut])
def list_suspense(
    request: HttpRequest, status: Literal["suggested", "suspense"] | None = None, limit: int = 100
) -> list[LineOut]:
    today = date.today()
    lines = selectors.exceptions_for(request.user, status).prefetch_related("matches__agreement")
    return [_line_out(line, today) for line in lines[: max(1, min(limit, 500))]]


@operation(router.post, "/lines/{line_id}/match", permission="payments.match_payments", response=LineOut)
def match_line(request: HttpRequest, line_id: int, payload: MatchIn) -> LineOut:
    user = acting_user(request)
    line = selectors.line_for(user, line_id)
    if line is None:
        raise Http404
    if payload.confirm:
        actions.confirm_suggestion(line=line, actor=user)
    else:
        if not payload.allocations:
            raise InvalidInput(
                "Give the agreement(s) and amounts, or confirm the suggestion", field="allocations"
            )
        agreements = Agreement.objects.filter(client_id=line.client_id).in_bulk(
            [allocation.agreement_id for allocation in payload.allocations]
        )
        if len(agreements) != len({allocation.agreement_id for allocation in payload.allocations}):
            raise Http404
        allocations = [(agreements[a.agreement_id], a.amount_minor) for a in payload.allocations]
        if line.status == StatementLine.Status.POSTED:
            actions.move_line(line=line, allocations=allocations, actor=user, reason=payload.reason)
        else:
            actions.match_line(line=line, allocations=allocations, actor=user, reason=payload.reason)
    refreshed = StatementLine.objects.prefetch_related("matches__agreement").get(pk=line.pk)
    return _line_out(refreshed, date.today())
