"""Bad input to `driftscale memorization`: one ``Error:`` line naming the flag, exit 2, nothing
written, no traceback, within seconds (bad output paths, unbounded sizes, silently wrong
results, unhelpful messages)."""

from __future__ import annotations

import pytest

from tests.bad_input.common_cases import output_cases
from tests.bad_input.conftest import assert_refused

BASE = ["memorization"]
CASES = {
    "huge_num_samples": lambda p: (["--num-samples", "100000000"], "--num-samples"),
    "huge_num_steps": lambda p: (["--num-steps", "1000000000"], "--num-steps"),
    "negative_seed": lambda p: (["--seed", "-1"], "--seed"),
    "missing_checkpoint": lambda p: (
        ["--checkpoint", str(p / "norun"), "--out", str(p / "m.png")],
        "--checkpoint",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused(place, name):
    args, flag = CASES[name](place)
    assert_refused([*BASE, *args], flag, place)


@pytest.mark.parametrize("index", range(6))
def test_bad_output_path_refused_before_computing(place, index):
    args, flag = output_cases(place, npz=False)[index]
    assert_refused([*BASE, *args], flag, place)
