"""Admin screens: skills, teams and agent profiles are set up here; work items are read-only (they move by actions)."""

from __future__ import annotations

from django.contrib import admin

from fairpath.core.admin import ReadOnlyAdmin
from fairpath.work import models


@admin.register(models.Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(models.Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "leader")
    filter_horizontal = ("members",)


@admin.register(models.AgentSkill)
class AgentSkillAdmin(admin.ModelAdmin):
    list_display = ("agent", "skill")
    list_filter = ("skill",)


@admin.register(models.AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("agent", "portfolio_capacity", "takes_portfolio")


@admin.register(models.WorkItem)
class WorkItemAdmin(ReadOnlyAdmin):
    list_display = ("id", "title", "kind", "client", "status", "owner", "due_at")
    list_filter = ("status", "kind", "client")


@admin.register(models.Queue)
class QueueAdmin(ReadOnlyAdmin):
    list_display = ("name", "ordering", "required_skill", "is_active")


@admin.register(models.PortfolioAssignment)
class PortfolioAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "agent", "client", "assigned_at")
    list_filter = ("client",)
