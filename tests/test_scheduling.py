"""The suite's test order for xdist workers (tests/scheduling.py): long tests first, spread evenly."""

from __future__ import annotations

from tests.scheduling import LONGEST, slice_sizes, spread, weight

IDS = (
    [f"tests/test_unit.py::test_{n}" for n in range(9)]
    + [f"tests/ui/test_screen.py::test_{n}" for n in range(6)]
    + [LONGEST[1], LONGEST[0] + "_and_more"]
)


def test_slices_have_the_sizes_worksteal_gives_the_workers() -> None:
    assert slice_sizes(17, 4) == [4, 4, 4, 5]
    assert slice_sizes(3, 2) == [1, 2]
    assert sum(slice_sizes(1_569, 4)) == 1_569


def test_the_longest_then_the_pilot_tests_come_first() -> None:
    assert weight(LONGEST[0] + "[param]") == 2
    assert weight("tests/ui/test_screen.py::test_0") == 1
    assert weight("tests/hardening/test_x.py::test_y") == 1
    assert weight("tests/test_unit.py::test_0") == 0


def test_every_slice_starts_with_its_share_of_the_long_tests_and_nothing_is_lost() -> None:
    ordered = spread(IDS, IDS, 4)
    assert sorted(ordered) == sorted(IDS)
    start = 0
    for size in slice_sizes(len(IDS), 4):
        one_slice = ordered[start : start + size]
        start += size
        weights = [weight(test_id) for test_id in one_slice]
        assert weights == sorted(weights, reverse=True), one_slice  # heaviest first
        assert weights[0] >= 1  # 8 heavy tests over 4 slices: each starts with one
        assert sum(weights) in (2, 3, 4)  # total 2+2+6 = 10, spread: no slice holds it all
        # Within a tier the collection order holds (a file's tests keep their order).
        for tier in set(weights) - {2}:
            positions = [IDS.index(test_id) for test_id in one_slice if weight(test_id) == tier]
            assert positions == sorted(positions)


def test_the_longest_start_in_the_order_of_their_list() -> None:
    ordered = spread(IDS, IDS, 4)
    assert ordered[0] == LONGEST[0] + "_and_more"  # first in LONGEST, though collected last
    assert ordered[slice_sizes(len(IDS), 4)[0]] == LONGEST[1]  # the second slice's first test


def test_one_worker_or_none_keeps_the_collection_order() -> None:
    assert spread(IDS, IDS, 0) == list(IDS)
    assert spread(IDS, IDS, 1) == list(IDS)
