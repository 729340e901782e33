from django.db import models


class Exercise(models.Model):
    """An exercise's metadata, copied from ``exercises/<slug>/exercise.toml`` by ``load_exercises``.

    The statement and the starter code are read from the grader's exercise
    folder when a page renders, so they are not stored here.
    """

    class Device(models.TextChoices):
        CPU = "cpu", "CPU"
        GPU = "gpu", "GPU"

    class Difficulty(models.TextChoices):
        EASY = "easy", "Easy"
        MEDIUM = "medium", "Medium"
        HARD = "hard", "Hard"

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    topic = models.CharField(max_length=100)
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices)
    points = models.PositiveIntegerField()
    device = models.CharField(max_length=10, choices=Device.choices)
    version = models.PositiveIntegerField()
    summary = models.TextField(blank=True)
    is_project = models.BooleanField(default=False)
    # An exercise whose folder is gone stays in the table, because submissions
    # refer to it, but is hidden from the pages.
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["topic", "title"]

    def __str__(self) -> str:
        return self.slug


class Lesson(models.Model):
    """A concept lesson loaded from ``content/lessons/<slug>.md``."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    topic = models.CharField(max_length=100)
    order = models.IntegerField(help_text="Position of the lesson within its topic, smallest first.")
    summary = models.TextField()
    body = models.TextField(help_text="Markdown with $...$ and $$...$$ math.")
    # Slugs rather than foreign keys: a lesson may name an exercise that is
    # not written yet, and the pages link only those that exist.
    exercise_slugs = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["topic", "order", "title"]

    def __str__(self) -> str:
        return self.slug


class Question(models.Model):
    """An interview question loaded from ``content/questions/<slug>.md``; each section is Markdown."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    topic = models.CharField(max_length=100)
    level = models.CharField(max_length=50)
    tags = models.JSONField(default=list, blank=True)
    question = models.TextField()
    answer_strategy = models.TextField()
    key_points = models.TextField()
    weak_answers = models.TextField()
    follow_ups = models.TextField()

    class Meta:
        ordering = ["topic", "title"]

    def __str__(self) -> str:
        return self.slug
