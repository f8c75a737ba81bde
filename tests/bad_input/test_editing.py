"""Bad input to `driftscale editing`: one ``Error:`` line naming the flag, exit 2, nothing
written, no traceback, within seconds (bad output paths, unbounded sizes, silently wrong
results, unhelpful messages)."""

from __future__ import annotations

import pytest

from tests.bad_input.common_cases import output_cases
from tests.bad_input.conftest import assert_refused

SHADOW = ["shadow", "--shape", "16,16"]
BASE: list[str] = []
CASES = {
    "save_wrong_format": lambda p: ([*SHADOW, "--save", str(p / "r.npz")], "--save"),
    "save_same_as_out": lambda p: (
        [*SHADOW, "--out", str(p / "r.png"), "--save", str(p / "r.png")],
        "--save",
    ),
    "negative_seed": lambda p: ([*SHADOW, "--seed", "-1"], "--seed"),
    "clone_offset_one_value": lambda p: (
        ["clone", "--shape", "16,16", "--offset", "1"],
        "--offset",
    ),
    "inpaint_mask_and_edges": lambda p: (
        ["inpaint", "--mask", str(p / "mine.png"), "--edges"],
        "--mask",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused(place, name):
    args, flag = CASES[name](place)
    assert_refused([*BASE, *args], flag, place)


@pytest.mark.parametrize("index", range(8))
def test_bad_output_path_refused_before_computing(place, index):
    args, flag = output_cases(place)[index]
    assert_refused([*SHADOW, *args], flag, place)
