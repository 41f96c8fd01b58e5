from django.urls import path

from fairpath.payments import views

app_name = "payments"
urlpatterns = [
    path("", views.reconciliation, name="reconciliation"),
    path("upload/", views.upload, name="upload"),
    path("mappings/", views.mappings, name="mappings"),
    path("mappings/new/", views.mapping_edit, name="mapping_new"),
    path("mappings/<int:mapping_id>/", views.mapping_edit, name="mapping_edit"),
    path("lines/<int:line_id>/", views.line_detail, name="line_detail"),
    path("lines/<int:line_id>/action/", views.line_action, name="line_action"),
]
