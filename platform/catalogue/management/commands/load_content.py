from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalogue.services import content_load


class Command(BaseCommand):
    help = (
        "Load lessons from content/lessons/*.md and questions from content/questions/*.md. "
        "A file with a format error is reported and skipped, and what was stored from it before is kept; "
        "the command then exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--content-dir",
            type=Path,
            default=settings.REPO_ROOT / "content",
            help="the folder that contains lessons/ and questions/ (default: content/ in the repository)",
        )

    def handle(self, *args, content_dir: Path, **options):
        if not content_dir.is_dir():
            raise CommandError(f"the content folder {content_dir} does not exist")

        report = content_load(content_dir=content_dir)

        self.stdout.write(
            f"Content: {len(report.lessons)} lessons and {len(report.questions)} questions loaded, "
            f"{len(report.removed)} removed"
        )
        for error in report.errors:
            self.stderr.write(f"rejected {error}")
        if report.errors:
            raise CommandError(f"{len(report.errors)} content files were rejected; fix them and run load_content again")
