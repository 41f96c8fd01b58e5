from django.urls import path

from fairpath.collections import views

app_name = "collections"
urlpatterns = [
    path("strategies/", views.strategy_list, name="strategy_list"),
    path("strategies/import/", views.strategy_import, name="strategy_import"),
    path("strategies/<int:strategy_id>/", views.strategy_detail, name="strategy_detail"),
    path("strategies/<int:strategy_id>/edit/", views.strategy_edit, name="strategy_edit"),
    path("strategies/<int:strategy_id>/export/", views.strategy_export, name="strategy_export"),
    path("suppressions/", views.suppression_list, name="suppression_list"),
]
