"""URL map: each domain's pages under its own prefix, the API under /api/v1/."""

from django.contrib import admin
from django.urls import include, path

from fairpath.api.root import api

urlpatterns = [
    path("", include("fairpath.web.urls")),
    path("clients/", include("fairpath.clients.urls")),
    path("governance/", include("fairpath.governance.urls")),
    path("customers/", include("fairpath.accounts.urls")),
    path("collections/", include("fairpath.collections.urls")),
    path("communications/", include("fairpath.communications.urls")),
    path("cases/", include("fairpath.cases.urls")),
    path("payments/", include("fairpath.payments.urls")),
    path("mi/", include("fairpath.insight.urls")),
    path("work/", include("fairpath.work.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler403 = "fairpath.web.views.forbidden"
handler404 = "fairpath.web.views.not_found"
