"""Bad input to `driftscale osmosis`: one ``Error:`` line naming the flag, exit 2, nothing
written, no traceback, within seconds (bad output paths, unbounded sizes, silently wrong
results, unhelpful messages)."""

from __future__ import annotations

import pytest

from tests.bad_input.common_cases import output_cases
from tests.bad_input.conftest import assert_refused

BASE = ["osmosis", "--grey", "--times", "0,1"]
CASES = {
    "huge_time": lambda p: (["--times", "0,1e30"], "--times"),
    "implicit_tiny_tau": lambda p: (["--method", "implicit", "--tau", "1e-9"], "--times"),
    "explicit_long_time": lambda p: (["--method", "explicit", "--times", "0,1e7"], "--times"),
    "too_many_frames": lambda p: (["--times", ",".join(map(str, range(41)))], "--times"),
    "missing_guidance": lambda p: (["--guidance", str(p / "none.png")], "--guidance"),
    "negative_seed": lambda p: (["--seed", "-2"], "--seed"),
    "negative_time": lambda p: (["--times", "0,-1"], "--times"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused(place, name):
    args, flag = CASES[name](place)
    assert_refused([*BASE, *args], flag, place)


@pytest.mark.parametrize("index", range(8))
def test_bad_output_path_refused_before_computing(place, index):
    args, flag = output_cases(place)[index]
    assert_refused([*BASE, *args], flag, place)
