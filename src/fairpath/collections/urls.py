from django.urls import path

from fairpath.collections import views
from fairpath.collections.workspace import urls as workspace_urls
from fairpath.collections.workspace import views as workspace

app_name = "collections"
_ws = "workspace/agreements/<int:agreement_id>/"
urlpatterns = [
    path("strategies/", views.strategy_list, name="strategy_list"),
    path("strategies/import/", views.strategy_import, name="strategy_import"),
    path("strategies/<int:strategy_id>/", views.strategy_detail, name="strategy_detail"),
    path("strategies/<int:strategy_id>/edit/", views.strategy_edit, name="strategy_edit"),
    path("strategies/<int:strategy_id>/export/", views.strategy_export, name="strategy_export"),
    path("suppressions/", views.suppression_list, name="suppression_list"),
    path(_ws, workspace.workspace, name="workspace"),
    path(f"{_ws}contact/", workspace.contact, name="workspace_contact"),
    path(f"{_ws}note/", workspace.note, name="workspace_note"),
    path(f"{_ws}promise/", workspace.promise, name="workspace_promise"),
    path(f"{_ws}income-expenditure/", workspace.income_expenditure, name="workspace_ie"),
    path(f"{_ws}arrangement/", workspace.arrangement_propose, name="workspace_arrangement"),
    path(f"{_ws}arrangement/decide/", workspace.arrangement_decide, name="workspace_arrangement_decide"),
    path(f"{_ws}forbearance/", workspace.forbearance, name="workspace_forbearance"),
    path(f"{_ws}hold/", workspace.hold, name="workspace_hold"),
    path(f"{_ws}complaint/", workspace.note_complaint, name="workspace_complaint"),
]
urlpatterns += (
    workspace_urls.urlpatterns
)  # settlement, third parties, vulnerability, recoveries, end of contract
