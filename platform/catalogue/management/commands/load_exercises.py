from django.core.management.base import BaseCommand, CommandError

from catalogue.services import exercise_sync


class Command(BaseCommand):
    help = "Copy the metadata of every exercise under exercises/ (or $TENSORCRAFT_EXERCISES_DIR) into the database."

    def handle(self, *args, **options):
        from grader.errors import ExerciseConfigError
        from grader.exercise import all_exercises

        try:
            exercises = all_exercises()
        except ExerciseConfigError as error:
            raise CommandError(f"cannot load the exercises: {error}") from error

        report = exercise_sync(exercises=exercises)
        self.stdout.write(
            f"Exercises: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.deactivated)} deactivated"
            + (f" ({', '.join(report.deactivated)})" if report.deactivated else "")
        )
