from django.urls import path

from fairpath.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("new/", views.case_register, name="case_register"),
    path("complaints-mi/", views.complaints_mi, name="complaints_mi"),
    path("complaints-mi/return.xlsx", views.complaints_return, name="complaints_return"),
    path("<int:case_id>/", views.case_detail, name="case_detail"),
    path("<int:case_id>/notes/", views.case_note, name="case_note"),
    path("<int:case_id>/status/", views.case_status, name="case_status"),
    path("<int:case_id>/escalate/", views.case_escalate, name="case_escalate"),
    path("<int:case_id>/close/", views.case_close, name="case_close"),
    path("<int:case_id>/complaint/", views.case_raise_complaint, name="case_raise_complaint"),
    path("<int:case_id>/letters/", views.case_letter_send, name="case_letter_send"),
    path("<int:case_id>/letters/<int:letter_id>/", views.case_letter, name="case_letter"),
    path("<int:case_id>/letters/<int:letter_id>/pdf/", views.case_letter_pdf, name="case_letter_pdf"),
    path("<int:case_id>/attachments/", views.case_attach, name="case_attach"),
    path("<int:case_id>/ombudsman/", views.case_refer, name="case_refer"),
    path("<int:case_id>/ombudsman/outcome/", views.case_fos_outcome, name="case_fos_outcome"),
]
