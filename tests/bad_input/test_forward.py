"""Bad input to `driftscale forward`: one ``Error:`` line naming the flag, exit 2, nothing
written, no traceback, within seconds (bad output paths, unbounded sizes, silently wrong
results, unhelpful messages)."""

from __future__ import annotations

import pytest

from tests.bad_input.common_cases import output_cases
from tests.bad_input.conftest import assert_refused

BASE = ["forward", "-T", "20", "--steps", "0,5"]
CASES = {
    "huge_T": lambda p: (["-T", "1000000000"], "--T"),
    "too_many_frames": lambda p: (["--steps", ",".join(map(str, range(41)))], "--steps"),
    "step_wraps_int64": lambda p: (["--steps", "0,100000000000000000000"], "--steps"),
    "negative_seed": lambda p: (["--seed", "-1"], "--seed"),
    "seed_not_int": lambda p: (["--seed", "abc"], "--seed"),
    "constant_without_beta": lambda p: (["--schedule", "constant:"], "--schedule"),
    "linear_one_param": lambda p: (["--schedule", "linear:1e-4"], "--schedule"),
    "schedule_nan": lambda p: (["--schedule", "linear:1e-4,nan"], "--schedule"),
    "unknown_method": lambda p: (["--method", "warp"], "--method"),
    "missing_image": lambda p: ([str(p / "none.png")], "IMAGE"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused(place, name):
    args, flag = CASES[name](place)
    assert_refused([*BASE, *args], flag, place)


@pytest.mark.parametrize("index", range(8))
def test_bad_output_path_refused_before_computing(place, index):
    args, flag = output_cases(place)[index]
    assert_refused([*BASE, *args], flag, place)
