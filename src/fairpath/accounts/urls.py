from django.urls import path

from fairpath.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path("agreements/<int:agreement_id>/", views.agreement_detail, name="agreement_detail"),
]
