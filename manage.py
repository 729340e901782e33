#!/usr/bin/env python
"""Django's command-line utility for the Tensorcraft site."""

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent


def main() -> None:
    # The Django project lives in platform/, which is a folder on the import
    # path rather than a package: a package named "platform" would shadow the
    # standard library module of that name.
    sys.path[:0] = [str(REPO_ROOT / "platform"), str(REPO_ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
