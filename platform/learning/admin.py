from django.contrib import admin

from learning.models import Submission


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("id", "learner", "exercise", "attempt", "visible_only", "status", "score", "reason", "created_at")
    list_filter = ("status", "visible_only", "reason", "exercise")
    search_fields = ("learner__username", "exercise__slug")
    readonly_fields = ("created_at", "started_at", "finished_at", "grading_attempts", "verdict")
