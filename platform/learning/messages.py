"""Messages shown to a learner by the site (not by the grader), each with a stable id.

Tests and the page's JavaScript compare ids, so change the wording freely but
never an id.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class LearnerMessage:
    id: str
    text: str

    def format(self, **values: object) -> str:
        return self.text.format(**values)


SOURCE_EMPTY = LearnerMessage(
    "source-empty",
    "Your submission is empty. Write your code in the editor, or choose a file to upload.",
)
SOURCE_TOO_LARGE = LearnerMessage(
    "source-too-large",
    "Your code is {size} bytes; the limit is {limit} bytes. Remove code the exercise does not need and submit again.",
)
UPLOAD_MISSING = LearnerMessage("upload-missing", "Choose a .py or .ipynb file to upload.")
UPLOAD_TOO_LARGE = LearnerMessage("upload-too-large", "The file is {size} bytes; the limit is {limit} bytes.")
UPLOAD_INVALID = LearnerMessage("upload-invalid", "The file {filename} cannot be graded: {detail}.")
TOO_MANY_PENDING = LearnerMessage(
    "too-many-pending",
    "You have {count} submissions or visible-checks runs waiting to be graded. "
    "Wait until one is graded, then try again.",
)
QUEUE_UNAVAILABLE = LearnerMessage(
    "queue-unavailable",
    "Your submission could not be queued for grading, so it does not count against you. "
    "Please submit it again in a few minutes.",
)
GRADER_FAILED = LearnerMessage(
    "grader-failed",
    "The grader failed while grading this submission, so it does not count against you. "
    "Please submit it again in a few minutes.",
)
REVIEW_RATING_INVALID = LearnerMessage(
    "review-rating-invalid",
    "Choose one of Again, Hard, Good or Easy to rate your answer.",
)
REVIEW_RECORDED = LearnerMessage(
    "review-recorded",
    "Rating saved. This question comes back on {due}.",
)
