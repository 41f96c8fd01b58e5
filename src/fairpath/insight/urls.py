from django.urls import path

from fairpath.insight import views

app_name = "insight"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("kpis/", views.kpi_catalogue, name="kpi_catalogue"),
    path("drill/", views.drill, name="drilldown"),
    path("export/", views.export_table, name="export"),
    path("pack/", views.mi_pack, name="mi_pack"),
]
