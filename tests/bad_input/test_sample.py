"""Bad input to `driftscale sample`: one ``Error:`` line naming the flag, exit 2, nothing
written, no traceback, within seconds (bad output paths, unbounded sizes, silently wrong
results, unhelpful messages)."""

from __future__ import annotations

import pytest

from tests.bad_input.common_cases import output_cases
from tests.bad_input.conftest import assert_refused

BASE = ["sample", "-T", "20"]
CASES = {
    "huge_num_samples": lambda p: (["--num-samples", "100000000"], "--num-samples"),
    "huge_T": lambda p: (["-T", "1000000000"], "--T"),
    "negative_seed": lambda p: (["--seed", "-1"], "--seed"),
    "nn_out_same_as_out": lambda p: (
        ["--out", str(p / "s.png"), "--nn-out", str(p / "s.png")],
        "--nn-out",
    ),
    "nn_out_wrong_format": lambda p: (["--nn-out", str(p / "n.npz")], "--nn-out"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused(place, name):
    args, flag = CASES[name](place)
    assert_refused([*BASE, *args], flag, place)


@pytest.mark.parametrize("index", range(8))
def test_bad_output_path_refused_before_computing(place, index):
    args, flag = output_cases(place)[index]
    assert_refused([*BASE, *args], flag, place)
