from django.contrib import admin

from catalogue.models import Exercise, Lesson, Question


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = ("slug", "title", "topic", "difficulty", "device", "version", "is_active")
    list_filter = ("topic", "difficulty", "device", "is_active")
    # The grader's exercise folders are the source of truth; load_exercises overwrites edits.
    readonly_fields = ("slug", "version", "device")


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("slug", "title", "topic", "order")
    list_filter = ("topic",)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("slug", "title", "topic", "level")
    list_filter = ("topic", "level")
