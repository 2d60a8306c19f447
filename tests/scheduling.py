"""The order the suite's tests are handed to xdist workers: the longest first, spread over all of them.

``--dist worksteal`` first gives each worker one contiguous slice of the collected tests, in
collection order, then lets an idle worker take half of the longest queue. In file order the
Pilot tests (``tests/ui``, ~85% of the suite's CPU) all sat in the last slice, and the run ended
with one worker still on a 10-40 s Pilot test while the others had nothing left. Here every
slice gets an equal share of the heavy tests, each slice starts with its heaviest, and the
quick unit tests come last, where they fill the gaps while the last long tests end.

The weights are coarse on purpose (a tier per kind of test, measured by CPU per test in
whole-suite runs); a test missing from the list below is only placed less well, never lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

#: Tests that cost several seconds of CPU each (or many of wall time) in whole-suite runs: first.
#: A prefix of a test id: a file, or a file and a test name (parametrized ids included). In the
#: order of their CPU in a census of the whole suite (bench/suite_census.py, load 8-14, each 1.8-4
#: s of CPU); those waiting on processes (a memory-limited `liaobots`, pipes) among them.
LONGEST: tuple[str, ...] = (
    "tests/ui/test_features.py::test_output_is_followed_only_while_at_the_bottom",
    "tests/ui/test_compare_stays_responsive.py::test_long_replies_side_by_side",
    "tests/ui/test_everyday_more.py::test_chat_cost_equals_its_usage_records",
    "tests/hardening/test_hostile_gateway_api.py::test_ask_survives_memory_attacks",
    "tests/ui/test_versions_and_search.py::test_versions_show_and_move_with_keys_and_the_palette",
    "tests/ui/test_compare_draws_apart.py::",
    "tests/ui/test_finished_pieces_are_flat.py::",
    "tests/ui/test_features.py::test_rename_and_delete_a_conversation",
    "tests/ui/test_no_full_collection_while_streaming.py::",
    "tests/ui/test_app_extras.py::test_image_generation_with_options_then_edit_then_restart",
    "tests/ui/test_gc_young.py::test_parked_pieces_are_freed_once_the_reply_has_ended",
    "tests/test_cli_pipes.py::",
    "tests/ui/test_flatten_in_steps.py::",
    "tests/ui/test_chat_flow.py::test_edit_and_resend_continues_from_there",
    "tests/ui/test_chat_draws_apart.py::",
    "tests/ui/test_long_history_opens_lazily.py::test_a_huge_reply_opens_at_its_end",
    "tests/ui/test_compare_counts_app.py::test_kept_reply_shows_its_versions",
    "tests/ui/test_chat_flow.py::test_conversation_survives_a_restart",
    "tests/ui/test_removed_widgets_free_at_once.py::test_a_streamed_reply_leaves_no_widget",
    "tests/ui/test_features.py::test_a_long_reply_streams_into_pieces_and_parks_those_off_screen",
    "tests/ui/test_huge_reply_opens_from_its_end.py::",
    "tests/ui/test_startup_is_lean.py::",
    "tests/ui/test_streamed_list_grows.py::",
    "tests/ui/test_style_matching_memo.py::",
    "tests/ui/test_features.py::test_every_action_is_in_the_palette_and_runs_from_it",
    "tests/ui/test_compare_screen.py::",
    "tests/ui/test_features.py::test_long_history_mounts_the_last_page_first",
    "tests/ui/test_versions_and_search.py::",
    "tests/ui/test_files_more.py::test_markdown_export_is_offered",
    "tests/ui/test_files_more.py::test_s_on_a_reply_goes_to_its_sources",
    "tests/hardening/test_crash_safety.py::",
)

#: Tests that boot the app, start processes or generate many examples (2-5 s each under load,
#: where a unit test takes milliseconds): next.
HEAVY: tuple[str, ...] = (
    "tests/ui/",
    "tests/hardening/",
    "tests/test_import_hygiene.py::",
    "tests/test_cli_lean_imports.py::",
    "tests/test_cli_speed.py::",
    "tests/test_export_contained.py::",
    "tests/api/test_sse_lf_path.py::",
)


def weight(test_id: str) -> int:
    """2 for the longest tests, 1 for the heavy kinds, 0 for the rest."""
    if test_id.startswith(LONGEST):
        return 2
    return 1 if test_id.startswith(HEAVY) else 0


def _rank(test_id: str) -> tuple[int, int]:
    """Sort key: heavier tiers first; among the longest, in the order of the list (longest first)."""
    tier = weight(test_id)
    if tier == 2:
        return (-tier, next(n for n, prefix in enumerate(LONGEST) if test_id.startswith(prefix)))
    return (-tier, 0)


def slice_sizes(count: int, workers: int) -> list[int]:
    """The sizes of the first slices worksteal gives ``workers`` workers (its own arithmetic)."""
    sizes, left = [], count
    for index in range(workers):
        size = left // (workers - index)
        sizes.append(size)
        left -= size
    return sizes


def spread(items: Sequence[T], test_ids: Sequence[str], workers: int) -> list[T]:
    """``items`` reordered: dealt heaviest first, in turn, into the slices the workers will get.

    The longest go in the order of LONGEST; within a tier the collection order is kept (a
    file's tests stay near each other, so a worker reuses what they import and set up alike).
    With one worker nothing changes.
    """
    if workers < 2 or len(items) < workers:
        return list(items)
    order = sorted(range(len(items)), key=lambda index: _rank(test_ids[index]))
    sizes = slice_sizes(len(items), workers)
    slices: list[list[T]] = [[] for _ in sizes]
    turn = 0
    for index in order:
        while len(slices[turn]) >= sizes[turn]:
            turn = (turn + 1) % workers
        slices[turn].append(items[index])
        turn = (turn + 1) % workers
    return [item for one_slice in slices for item in one_slice]
