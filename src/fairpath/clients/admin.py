from django.contrib import admin

from fairpath.clients.models import Client


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "base_currency", "is_active")
    search_fields = ("name", "code")
