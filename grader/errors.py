"""Exception types that keep a fault of the grader apart from a fault of the learner's code.

A ``GraderError`` is an infrastructure problem: it never counts against the
learner, it is logged at error level, and the command line exits with status 2.
A ``LearnerCodeError`` means the learner's code could not be graded: the verdict
is ``error`` with a reason, and the command line exits with status 1.
"""


class GraderError(Exception):
    """The grader or its sandbox failed; the learner's code is not to blame."""


class ExerciseConfigError(GraderError):
    """An exercise folder is missing a file or declares an invalid value."""


class ExerciseNotFound(GraderError):
    def __init__(self, slug: str, known: list[str]):
        super().__init__(f"unknown exercise {slug!r}; run 'python -m grader list' to see the {len(known)} exercises")
        self.slug = slug


class SandboxUnavailable(GraderError):
    """The requested sandbox backend cannot run on this machine."""


class SubmissionError(Exception):
    """The submitted file cannot be turned into a learner module (bad notebook, wrong type, too big).

    ``reason`` is one of the stable ``Reason`` values of ``grader.verdict``.
    """

    def __init__(self, message: str, reason: str = "invalid_submission"):
        super().__init__(message)
        self.reason = reason
