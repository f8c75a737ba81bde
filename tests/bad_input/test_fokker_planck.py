"""Bad input to `driftscale fokker-planck`: one ``Error:`` line naming the flag, exit 2, nothing
written, no traceback, within seconds (bad output paths, unbounded sizes, silently wrong
results, unhelpful messages)."""

from __future__ import annotations

import pytest

from tests.bad_input.common_cases import output_cases
from tests.bad_input.conftest import assert_refused

BASE = ["fokker-planck", "-T", "100", "--steps", "0,100", "--cells", "50"]
CASES = {
    "huge_samples": lambda p: (["--samples", "100000000"], "--samples"),
    "huge_cells": lambda p: (["--cells", "10000000"], "--cells"),
    "huge_T": lambda p: (["-T", "1000000000"], "--T"),
    "negative_seed": lambda p: (["--seed", "-1"], "--seed"),
    "bad_schedule": lambda p: (["--schedule", "constant:"], "--schedule"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused(place, name):
    args, flag = CASES[name](place)
    assert_refused([*BASE, *args], flag, place)


@pytest.mark.parametrize("index", range(8))
def test_bad_output_path_refused_before_computing(place, index):
    args, flag = output_cases(place)[index]
    assert_refused([*BASE, *args], flag, place)
