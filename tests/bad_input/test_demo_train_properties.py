"""Bad input to `driftscale demo`, `train` and `properties` (folder outputs): one ``Error:``
line naming the flag, exit 2, nothing written (demo creates no folder), no traceback."""

from __future__ import annotations

import pytest

from tests.bad_input.conftest import assert_refused

CASES = {
    "demo_negative_seed": lambda p: (["demo", "--out", str(p / "new"), "--seed", "-1"], "--seed"),
    "demo_out_is_file": lambda p: (["demo", "--out", str(p / "afile")], "--out"),
    "demo_out_not_empty": lambda p: (["demo", "--out", str(p)], "--out"),
    "demo_out_under_file": lambda p: (["demo", "--out", str(p / "afile" / "x")], "--out"),
    "train_out_is_file": lambda p: (["train", "--out", str(p / "afile")], "--out"),
    "train_huge_T": lambda p: (["train", "--out", str(p / "r"), "-T", "1000000000"], "--T"),
    "train_huge_batch": lambda p: (
        ["train", "--out", str(p / "r"), "--batch", "10000000"],
        "--batch",
    ),
    "train_negative_seed": lambda p: (["train", "--out", str(p / "r"), "--seed", "-1"], "--seed"),
    "train_bad_mults": lambda p: (
        ["train", "--out", str(p / "r"), "--channel-mults", "1,x"],
        "--channel-mults",
    ),
    "train_unwritable": lambda p: (["train", "--out", "/proc/driftscale-run"], "--out"),
    "properties_out_is_file": lambda p: (["properties", "--out", str(p / "afile")], "--out"),
    "properties_huge_samples": lambda p: (["properties", "--samples", "100000000"], "--samples"),
    "properties_huge_test_samples": lambda p: (
        ["properties", "--test-samples", "100000000"],
        "--test-samples",
    ),
    "properties_huge_T": lambda p: (["properties", "-T", "1000000000"], "--T"),
    "properties_negative_seed": lambda p: (["properties", "--seed", "-3"], "--seed"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused(place, name):
    args, flag = CASES[name](place)
    assert_refused(args, flag, place)
    assert not (place / "new").exists()


GENERALIZATION = {
    "out_wrong_format": lambda p: (["--out", str(p / "g.txt")], "--out"),
    "samples_out_same_as_out": lambda p: (
        ["--disjoint-halves", "--out", str(p / "g.png"), "--samples-out", str(p / "g.png")],
        "--samples-out",
    ),
    "huge_T": lambda p: (["-T", "1000000000"], "--T"),
    "negative_clip": lambda p: (["--clip", "-1"], "--clip"),
    "negative_seed": lambda p: (["--seed", "-1"], "--seed"),
    "huge_num_samples": lambda p: (["--num-samples", "100000000"], "--num-samples"),
}
MEMORIZATION_CLIP = lambda p: (["memorization", "--clip", "-1"], "--clip")  # noqa: E731


@pytest.mark.parametrize("name", sorted(GENERALIZATION))
def test_generalization_refused(place, name):
    args, flag = GENERALIZATION[name](place)
    assert_refused(["generalization", "--checkpoint", str(place / "norun"), *args], flag, place)


def test_memorization_negative_clip_is_refused_not_off(place):
    args, flag = MEMORIZATION_CLIP(place)
    assert_refused(args, flag, place)
