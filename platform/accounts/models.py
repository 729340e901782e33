from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A learner, instructor or staff member.

    A project-specific user model from the first migration, so fields can be
    added later without swapping the model under existing foreign keys.
    """
