"""The demo's report in a real browser: headless Chromium driven by Selenium.

Asserts what a reader relies on: the page loads from ``file://`` with no console error and no
request outside its folder (DevTools network events), every image has a natural size, moving the
slider changes the displayed frame and the numbers beside it, hovering a curve shows its values,
and a screenshot is not blank. Prints the load time (Navigation Timing API; target under 2 s,
not asserted: timings on a shared machine are noise). Needs ``chromium`` and
``chromium-driver`` (``make test`` installs them with apt-get where they are missing): without
them the tests skip, except under ``CI=true``, where they fail.

``DRIFTSCALE_SCREENSHOTS=docs/img pytest tests/report/test_browser.py`` also writes the two
screenshots of the README (``report-scales.png``, ``report-findings.png``).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from driftscale.report import REPORT_NAME, frame_file

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)
DRIVER_PATHS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and the browser test cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def _start_chromium(profile: Path):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        _unavailable(f"selenium is not installed ({exc}); pip install -e '.[dev]'")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or next(
        (p for p in DRIVER_PATHS if os.path.exists(p)), None
    )
    if binary is None or driver is None:
        _unavailable("chromium or chromedriver not found; apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    try:  # the given driver: Selenium never downloads one (the network may be closed)
        return webdriver.Chrome(service=Service(executable_path=driver), options=options)
    except Exception as exc:  # any start failure (WebDriverException, OSError)
        _unavailable(f"Chromium did not start: {type(exc).__name__}: {exc}")


def _wait(driver, script: str, timeout: float = 20.0):
    end = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script)
        if value or time.monotonic() > end:
            return value
        time.sleep(0.05)


@pytest.fixture(scope="module")
def page(demo_run, tmp_path_factory):
    """Chromium with the demo's index.html loaded (load event fired)."""
    driver = _start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    out = demo_run[0].resolve()
    try:
        driver.get((out / REPORT_NAME).as_uri())
        yield driver, out
    finally:
        driver.quit()


def test_page_loads_without_console_errors_and_its_load_time_is_printed(page, capsys):
    driver, _ = page
    nav = driver.execute_script("return performance.getEntriesByType('navigation')[0].toJSON()")
    assert nav["loadEventEnd"] > 0
    with capsys.disabled():
        print(
            f"\n[report] load time {nav['loadEventEnd'] - nav['startTime']:.0f} ms "
            f"(DOMContentLoaded {nav['domContentLoadedEventEnd'] - nav['startTime']:.0f} ms; "
            "Navigation Timing API, headless Chromium; target < 2000 ms)"
        )
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def test_every_image_has_a_natural_size(page):
    driver, _ = page
    assert _wait(driver, "return Array.from(document.images).every(i => i.complete)")
    sizes = driver.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.naturalWidth])"
    )
    assert len(sizes) >= 9  # two slider frames and every PNG figure of the demo
    assert [src for src, width in sizes if width <= 0] == []


def _requests(driver, page_url: str) -> list[str]:
    """URLs of every request the page made (DevTools ``Network.requestWillBeSent`` events; the
    Resource Timing API lists no ``file://`` resource in Chromium)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if (
            message["method"] == "Network.requestWillBeSent"
            and params.get("documentURL") == page_url
        ):
            urls.append(params["request"]["url"])
    return urls


def test_no_request_leaves_the_folder(page):
    driver, out = page
    folder, page_url = out.as_uri() + "/", (out / REPORT_NAME).as_uri()
    # the script fetches the 80 slider frames after the load event: wait for them too
    assert _wait(driver, "return Array.from(document.images).every(i => i.complete)")
    time.sleep(0.5)
    urls = _requests(driver, page_url)
    assert page_url in urls and len(set(urls)) >= 80
    assert [u for u in urls if not u.startswith(folder)] == []
    assert {u[len(folder) :] for u in urls} >= {frame_file("osmosis", k) for k in range(40)}


def _frame_state(driver) -> dict:
    return driver.execute_script(
        "const img = document.getElementById('frame-osmosis');"
        "return {src: img.getAttribute('src'), diffusion: document.getElementById("
        "'frame-diffusion').getAttribute('src'), cells: Object.fromEntries(Array.from("
        "document.querySelectorAll('#scale-numbers [data-cell]')).map(e => [e.dataset.cell, "
        "e.textContent])), value: document.getElementById('scale-slider').value}"
    )


def test_moving_the_slider_changes_the_frame_and_its_numbers(page):
    from selenium.webdriver.common.keys import Keys

    driver, _ = page
    slider = driver.find_element("id", "scale-slider")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", slider)
    image = driver.find_element("id", "frame-osmosis")
    before, pixels_before = _frame_state(driver), image.screenshot_as_png
    slider.click()  # the thumb moves to the middle of the track
    slider.send_keys(Keys.HOME)
    for _ in range(25):
        slider.send_keys(Keys.ARROW_RIGHT)
    after = _frame_state(driver)
    assert before["value"] == "0" and after["value"] == "25"
    assert after["src"] == frame_file("osmosis", 25) and after["src"] != before["src"]
    assert after["diffusion"] == frame_file("diffusion", 25)
    data = json.loads(driver.find_element("id", "scales-data").get_attribute("textContent"))
    assert after["cells"] == {k: v for k, v in data[25]["cells"].items() if k in after["cells"]}
    changed = [k for k in after["cells"] if after["cells"][k] != before["cells"][k]]
    assert {"d-scale", "o-scale", "o-lyapunov", "o-distance", "d-distance"} <= set(changed)
    assert _wait(
        driver,
        "const i = document.getElementById('frame-osmosis');"
        "return i.complete && i.naturalWidth > 0",
    )
    assert image.screenshot_as_png != pixels_before  # the displayed frame itself changed


def test_hovering_a_curve_shows_its_values(page):
    from selenium.webdriver.common.action_chains import ActionChains

    driver, _ = page
    svg = driver.find_element("css selector", "#chart-fp-3 svg")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", svg)
    ActionChains(driver).move_to_element_with_offset(svg, 10, 0).perform()
    tooltip = driver.find_element("id", "tooltip")
    assert tooltip.is_displayed()
    lines = tooltip.text.splitlines()
    assert lines[0].startswith("x = ") and any(
        li.startswith("Fokker-Planck (Eq. 24): ") for li in lines
    )


def _not_blank(png: bytes) -> float:
    from PIL import Image

    return float(np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float).var())


def test_a_screenshot_is_written_and_not_blank(page, tmp_path):
    driver, _ = page
    driver.execute_script("window.scrollTo(0, 0)")
    path = tmp_path / "report.png"
    assert driver.save_screenshot(str(path))
    assert _not_blank(path.read_bytes()) > 0
    docs = os.environ.get("DRIFTSCALE_SCREENSHOTS")
    if docs:
        _docs_screenshots(driver, Path(docs))


def _docs_screenshots(driver, folder: Path) -> None:
    """The README's two screenshots (seed 0): the slider at position 15 (i = 14, t = 11), where
    both processes still show the cat, and the findings."""
    from selenium.webdriver.common.keys import Keys

    slider = driver.find_element("id", "scale-slider")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", slider)
    slider.send_keys(Keys.HOME)
    for _ in range(14):
        slider.send_keys(Keys.ARROW_RIGHT)
    for section, name in (("scales", "report-scales.png"), ("findings", "report-findings.png")):
        driver.execute_script(f"document.getElementById('{section}').scrollIntoView()")
        _wait(driver, "return Array.from(document.images).every(i => i.complete)")
        time.sleep(0.3)
        png = driver.get_screenshot_as_png()
        assert _not_blank(png) > 0
        (folder / name).write_bytes(png)


def test_a_missing_browser_fails_under_ci_and_skips_elsewhere(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true and the browser test cannot run"):
        _start_chromium(tmp_path)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="chromium or chromedriver not found"):
        _start_chromium(tmp_path)
