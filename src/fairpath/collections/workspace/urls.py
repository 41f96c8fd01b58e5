"""Workspace URLs of the servicing actions added for issue 5 item 5 (included by ``collections.urls``)."""

from django.urls import path

from fairpath.collections.workspace import views as workspace

_ws = "workspace/agreements/<int:agreement_id>/"
urlpatterns = [
    path(f"{_ws}settlement/", workspace.settlement_offer, name="workspace_settlement"),
    path(f"{_ws}settlement/step/", workspace.settlement_step, name="workspace_settlement_step"),
    path(f"{_ws}third-party/", workspace.third_party_add, name="workspace_third_party"),
    path(f"{_ws}third-party/end/", workspace.third_party_end, name="workspace_third_party_end"),
    path(f"{_ws}vulnerability/", workspace.vulnerability, name="workspace_vulnerability"),
    path(f"{_ws}recoveries/", workspace.recoveries_transfer, name="workspace_recoveries"),
    path(f"{_ws}end-of-contract/", workspace.end_of_contract_charge, name="workspace_end_of_contract"),
]
