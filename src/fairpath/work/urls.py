from django.urls import path

from fairpath.work import views

app_name = "work"
urlpatterns = [
    path("", views.my_work, name="my_work"),
    path("next/", views.get_next, name="get_next"),
    path("items/<int:item_id>/start/", views.start_item, name="start_item"),
    path("items/<int:item_id>/complete/", views.complete_item, name="complete_item"),
    path("items/<int:item_id>/snooze/", views.snooze_item, name="snooze_item"),
    path("items/<int:item_id>/reassign/", views.reassign_item, name="reassign_item"),
    path("console/", views.team_console, name="team_console"),
    path("console/reassign/", views.bulk_reassign, name="bulk_reassign"),
    path("portfolios/", views.portfolios, name="portfolios"),
    path("queues/", views.queue_list, name="queue_list"),
    path("queues/<int:queue_id>/", views.queue_edit, name="queue_edit"),
]
