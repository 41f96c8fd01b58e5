"""Customer search, the customer page and the agreement page. Reads only, through the scoped selectors."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from fairpath.accounts import selectors
from fairpath.web.permissions import requires


def _page_number(request: HttpRequest, name: str = "page") -> int:
    try:
        return max(int(request.GET.get(name, "1")), 1)
    except ValueError:
        return 1


@requires("accounts.view_customer")
def customer_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    page = selectors.page_of(
        selectors.search_customers(request.user, query), _page_number(request), selectors.PAGE_SIZE
    )
    vulnerable = selectors.vulnerable_customer_ids([customer.pk for customer in page.items])
    return render(
        request, "accounts/customer_list.html", {"page": page, "query": query, "vulnerable": vulnerable}
    )


@requires("accounts.view_customer")
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_page(request.user, customer_id)
    if customer is None:
        raise Http404
    return render(request, "accounts/customer_detail.html", {"customer": customer})


@requires("accounts.view_agreement")
def agreement_detail(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = selectors.agreement_page(request.user, agreement_id)
    if agreement is None:
        raise Http404
    can_see_ledger = request.user.has_perm("accounts.view_ledger")
    ledger = (
        selectors.page_of(
            selectors.ledger_of(agreement), _page_number(request, "ledger_page"), selectors.LEDGER_PAGE_SIZE
        )
        if can_see_ledger
        else None
    )
    context = {
        "agreement": agreement,
        "customer": agreement.customer,
        "arrears": selectors.arrears_of(agreement),
        "schedule": list(selectors.schedule_of(agreement)),
        "ledger": ledger,
    }
    return render(request, "accounts/agreement_detail.html", context)
