"""Bad input to `driftscale compare`: one ``Error:`` line naming the flag, exit 2, nothing
written, no traceback, within seconds (bad output paths, unbounded sizes, silently wrong
results, unhelpful messages)."""

from __future__ import annotations

import pytest

from tests.bad_input.common_cases import output_cases
from tests.bad_input.conftest import assert_refused

BASE = ["compare", "--grey", "--steps", "0,5", "--times", "0,1"]
CASES = {
    "too_many_steps": lambda p: (["--steps", ",".join(map(str, range(41)))], "--steps"),
    "huge_time": lambda p: (["--times", "0,1e30"], "--times"),
    "times_not_numbers": lambda p: (["--times", "0,x"], "--times"),
    "negative_seed": lambda p: (["--seed", "-5"], "--seed"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused(place, name):
    args, flag = CASES[name](place)
    assert_refused([*BASE, *args], flag, place)


@pytest.mark.parametrize("index", range(8))
def test_bad_output_path_refused_before_computing(place, index):
    args, flag = output_cases(place)[index]
    assert_refused([*BASE, *args], flag, place)
