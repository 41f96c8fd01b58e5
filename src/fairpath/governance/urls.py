from django.urls import path

from fairpath.governance import views

app_name = "governance"
urlpatterns = [
    path("approvals/", views.approval_list, name="approval_list"),
    path("approvals/<int:approval_id>/", views.approval_detail, name="approval_detail"),
    path("approvals/<int:approval_id>/decide/", views.approval_decide, name="approval_decide"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/history/<str:object_type>/<str:object_id>/", views.object_history, name="object_history"),
    path("users/", views.user_list, name="user_list"),
    path("users/<int:user_id>/tokens/", views.token_create, name="token_create"),
]
