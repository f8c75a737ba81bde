"""Bad input to the public API (silently wrong results): what used to be truncated, filled in or
averaged silently is refused with a named error, and valid edge cases give the right value."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image
from skimage import io

from driftscale._io import atomic_path
from driftscale.data import ValueScale, load_image
from driftscale.diffusion.permutations import Permutation
from driftscale.schedules import Schedule, ScheduleError


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: Permutation.translation(1.5, 0), TypeError, "`dy` must be an integer"),
        (lambda: Permutation.translation(0, "2"), TypeError, "`dx` must be an integer"),
        (lambda: Permutation.rotation90(0.5), TypeError, "`k` must be an integer"),
        (lambda: load_image(shape=(2.5, 3)), ValueError, "`shape` must be"),
        (lambda: load_image(shape=(0, 3)), ValueError, "`shape` must be"),
        (lambda: ValueScale.fit([1.0], data_range=(0, np.inf)), ValueError, "`data_range`"),
        (lambda: ValueScale.fit([1.0], data_range=(np.nan, 1)), ValueError, "`data_range`"),
        (lambda: Schedule.from_string("constant:"), ScheduleError, "`schedule`"),
        (lambda: Schedule.from_string("linear:1e-4"), ScheduleError, "at least 2"),
        (lambda: Schedule.from_string("linear:1e-4,inf"), ScheduleError, "`schedule`"),
        (lambda: Schedule.from_string("sigmoid:1e-4"), ScheduleError, "at least 2"),
    ],
)
def test_silent_cases_are_refused(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_valid_schedule_strings_still_parse():
    assert Schedule.from_string("constant:0.03").beta[1] == pytest.approx(0.03)
    assert Schedule.from_string("cosine:0.01").T == 1000  # cosine[:S], max_beta defaults
    assert Schedule.from_string("linear").T == 1000


def test_grey_alpha_png_reads_the_grey_channel_not_the_alpha(tmp_path):
    la = np.zeros((4, 5, 2), dtype=np.uint8)
    la[..., 0] = 200  # grey value
    la[..., 1] = 0  # fully transparent: averaging would give 100
    Image.fromarray(la, mode="LA").save(tmp_path / "la.png")
    for grey in (False, True):
        img = load_image(tmp_path / "la.png", grey=grey)
        assert img.shape == (4, 5)
        np.testing.assert_array_equal(img, 200.0)


def test_rgba_drops_alpha_exactly(tmp_path):
    rgba = np.zeros((3, 3, 4), dtype=np.uint8)
    rgba[..., :3] = (10, 20, 30)
    io.imsave(tmp_path / "c.png", rgba, check_contrast=False)
    np.testing.assert_array_equal(load_image(tmp_path / "c.png")[0, 0], [10.0, 20.0, 30.0])


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.zeros((4, 4, 5), dtype=np.uint8), "accepted: \\(H, W\\) grey"),
        (np.zeros((1, 5000), dtype=np.uint8), "aspect ratio"),
    ],
)
def test_bad_image_files_are_named(tmp_path, array, match):
    iio.imwrite(tmp_path / "x.tif", array)
    with pytest.raises(ValueError, match=match) as info:
        load_image(tmp_path / "x.tif", name="--guidance")
    assert "`--guidance`" in str(info.value)


def test_unreadable_file_is_one_line(tmp_path):
    (tmp_path / "x.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="could not be read as an image") as info:
        load_image(tmp_path / "x.png")
    assert "\n" not in str(info.value)


def test_atomic_path_leaves_nothing_on_error(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "sub" / "a.png") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError
    assert [p.name for p in (tmp_path / "sub").iterdir()] == []


def test_sigterm_during_an_atomic_write_leaves_no_temp_file(tmp_path):
    code = (
        "import sys, time; from driftscale._io import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n"
        "    tmp.write_bytes(b'x'); print('writing', flush=True); time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    target = tmp_path / "out.png"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout.readline().strip() == "writing"
    assert len(list(tmp_path.iterdir())) == 1  # the hidden temporary file
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 128 + signal.SIGTERM
    time.sleep(0.1)
    assert list(tmp_path.iterdir()) == []  # neither the temp file nor a half-written target


def test_complex_arrays_are_refused_not_cast():
    import numpy as np

    from driftscale import ProbabilisticDiffusion

    f = np.ones((4, 4)) + 1j * np.ones((4, 4))
    with pytest.raises(TypeError, match="must be an array of real numbers, got complex values"):
        ProbabilisticDiffusion("constant:0.02").marginal(f, 1, rng=0)
