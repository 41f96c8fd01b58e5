"""The API root: mounts each domain's router under /api/v1/."""

from __future__ import annotations

from ninja import NinjaAPI

from fairpath.api.auth import API_AUTH
from fairpath.api.errors import install_error_handlers

api = NinjaAPI(
    title="Fairpath API",
    version="1",
    description="Collections, cases and back-office operations. Every call is scoped to the clients your token "
    'or session is granted; errors have the body {"error": {"code", "message", "rule"?, "field"?}}.',
    auth=API_AUTH,
    urls_namespace="api",
)
install_error_handlers(api)


def _mount() -> None:
    from fairpath.accounts.api import router as accounts_router
    from fairpath.cases.api import router as cases_router
    from fairpath.clients.api import router as clients_router
    from fairpath.collections.api import router as collections_router
    from fairpath.collections.workspace.api import router as servicing_router
    from fairpath.communications.api import router as communications_router
    from fairpath.governance.api import router as governance_router
    from fairpath.insight.api import router as insight_router
    from fairpath.payments.api import router as payments_router
    from fairpath.work.api import router as work_router

    api.add_router("/", governance_router, tags=["governance"])
    api.add_router("/clients", clients_router, tags=["clients"])
    api.add_router("/", accounts_router, tags=["accounts"])
    api.add_router("/", collections_router, tags=["collections"])
    api.add_router("/servicing", servicing_router, tags=["servicing"])
    api.add_router("/communications", communications_router, tags=["communications"])
    api.add_router("/cases", cases_router, tags=["cases"])
    api.add_router("/payments", payments_router, tags=["payments"])
    api.add_router("/mi", insight_router, tags=["mi"])
    api.add_router("/work", work_router, tags=["work"])


_mount()
