from django.urls import path

from fairpath.communications import views

app_name = "communications"
urlpatterns = [
    path("templates/", views.template_list, name="template_list"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/<int:template_id>/", views.template_detail, name="template_detail"),
    path("templates/<int:template_id>/edit/", views.template_edit, name="template_edit"),
    path("versions/<int:version_id>/publish/", views.version_publish, name="version_publish"),
    path("outbox/", views.outbox, name="outbox"),
    path("messages/<int:message_id>/", views.message_detail, name="message_detail"),
    path("messages/<int:message_id>/document/", views.message_document, name="message_document"),
]
