"""The streaming notice's rules: a countdown while a retry waits, a stall said after ten silent seconds."""

from __future__ import annotations

from liaobots_tui.ui.stream_feedback import STALL_AFTER, StreamFeedback


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_silence_before_the_first_byte_is_waiting_after_it_a_stall() -> None:
    clock = Clock()
    feedback = StreamFeedback(clock, read_timeout=None)
    feedback.start()
    clock.now += STALL_AFTER - 0.1
    assert feedback.notice() == ""
    clock.now += 5
    assert feedback.notice() == "waiting for the reply: 14 s"
    feedback.received()
    assert feedback.notice() == ""
    clock.now += 30
    assert feedback.notice() == "no data for 30 s"


def test_a_notice_event_is_not_data_and_the_timeout_is_named_until_it_passes() -> None:
    clock = Clock()
    feedback = StreamFeedback(clock, read_timeout=60)
    feedback.start()
    feedback.received(data=False)  # a domain switch: the reply has not begun
    clock.now += 20
    assert feedback.notice() == "waiting for the reply: 20 s (gives up after 60 s) · esc stops"
    clock.now += 45
    assert feedback.notice() == "waiting for the reply: 65 s"


def test_a_retry_counts_down_then_silence_counts_from_its_end() -> None:
    clock = Clock()
    feedback = StreamFeedback(clock)
    feedback.start()
    feedback.retrying(30.0, 2, "Overloaded")
    assert feedback.notice() == "Overloaded, retrying in 30 s (attempt 2)"
    clock.now += 29.5
    assert feedback.notice() == "Overloaded, retrying in 1 s (attempt 2)"
    clock.now += 0.5 + STALL_AFTER - 1
    assert feedback.notice() == ""  # the wait is not counted as silence
    clock.now += 3
    assert feedback.notice() == "waiting for the reply: 12 s"
