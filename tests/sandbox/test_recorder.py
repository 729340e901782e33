"""The supervisor records output up to the end-of-visible-cases marker and drops everything after it."""

from grader.harness import protocol
from grader.sandbox.base import StdoutRecorder

MARKER = protocol.VISIBLE_DONE_LINE


def test_output_before_marker_is_kept_and_after_dropped():
    recorder = StdoutRecorder()

    assert recorder.feed(b"visible line\n\n" + MARKER + b"hidden line\n") is True
    assert recorder.feed(b"more hidden output\n") is False
    recorder.finish()

    assert bytes(recorder.kept) == b"visible line\n"
    assert recorder.stopped


def test_marker_split_across_reads_is_found():
    recorder = StdoutRecorder()
    data = b"abc\n" + MARKER + b"secret"

    found = [recorder.feed(data[index : index + 3]) for index in range(0, len(data), 3)]
    recorder.finish()

    assert found.count(True) == 1
    assert bytes(recorder.kept) == b"abc"


def test_output_without_marker_is_kept_whole():
    recorder = StdoutRecorder()

    recorder.feed(b"partial " + MARKER[:10])
    recorder.finish()

    assert bytes(recorder.kept) == b"partial " + MARKER[:10]
    assert not recorder.stopped


def test_output_over_the_cap_is_truncated():
    recorder = StdoutRecorder(max_bytes=10)

    recorder.feed(b"x" * 100)
    recorder.finish()

    assert bytes(recorder.kept) == b"x" * 10
    assert recorder.truncated


def test_marker_printed_early_only_stops_recording_early():
    recorder = StdoutRecorder()

    recorder.feed(b"learner\n" + MARKER)
    recorder.feed(b"harness marker\n" + MARKER)
    recorder.finish()

    assert bytes(recorder.kept) == b"learner"
