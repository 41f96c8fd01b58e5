from django.urls import path

from fairpath.clients import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="client_list"),
    path("<slug:code>/", views.client_detail, name="client_detail"),
    path("<slug:code>/edit/", views.client_edit, name="client_edit"),
]
