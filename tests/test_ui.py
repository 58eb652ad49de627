"""`vidiff ui` driven in a real headless browser (Debian's chromium + chromium-driver, through Selenium).

Launches `vidiff ui` on a free port, uploads a small real clip, runs x2 and checks the downloaded file;
runs Metrics; submits a bad file; takes a screenshot of each tab into docs/ (VIDIFF_UI_SCREENSHOTS=0 skips).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from fractions import Fraction
from pathlib import Path

import av
import pytest

from vidiff.io.samples import sample_clip

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
try:
    import gradio  # noqa: F401
    import selenium  # noqa: F401

    HAVE_UI = True
except ImportError:
    HAVE_UI = False

pytestmark = pytest.mark.skipif(
    not (HAVE_UI and CHROMIUM and CHROMEDRIVER),
    reason="needs the ui extra (gradio, selenium: pip install -e '.[ui]') and Debian's chromium + "
    "chromium-driver (apt install chromium chromium-driver); .ci/run installs them",
)

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cut(src: Path, dst: Path, n: int) -> Path:
    """The first `n` frames of `src`, re-encoded near-lossless at its rate."""
    with av.open(str(src)) as ic, av.open(str(dst), "w") as oc:
        ist = ic.streams.video[0]
        ost = oc.add_stream("libx264", rate=ist.average_rate)
        ost.width, ost.height, ost.pix_fmt = ist.width, ist.height, "yuv420p"
        ost.codec_context.options = {"crf": "0", "preset": "ultrafast"}
        for k, f in enumerate(ic.decode(ist)):
            if k == n:
                break
            for p in ost.encode(f.reformat(format="yuv420p")):
                oc.mux(p)
        for p in ost.encode():
            oc.mux(p)
    return dst


def _count(path: Path) -> tuple[int, Fraction]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return sum(1 for _ in c.decode(s)), Fraction(s.average_rate)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    port = _free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", OMP_NUM_THREADS="2")
    proc = subprocess.Popen(
        [sys.executable, "-m", "vidiff", "ui", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"vidiff ui exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("vidiff ui did not answer within 90 s")
    yield url, proc
    proc.terminate()
    out = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1500"):
        opts.add_argument(a)
    opts.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.downloads = downloads
    yield drv
    drv.quit()


def _wait(drv, cond, timeout: float = 60, what: str = ""):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(drv, timeout, poll_frequency=0.25).until(cond, message=what)


def _text(drv, css: str) -> str:
    els = drv.find_elements("css selector", css)
    return els[0].text if els else ""


def _tab(drv, name: str) -> None:
    for b in drv.find_elements("css selector", "button[role=tab]"):
        if b.text.strip() == name:
            b.click()
            return
    raise AssertionError(f"no tab {name!r}")


def _upload(drv, elem_id: str, path: Path) -> None:
    for clear in drv.find_elements("css selector", f"#{elem_id} button[aria-label=Clear]"):
        clear.click()  # a file is already there: remove it first
    inp = _wait(
        drv, lambda d: d.find_elements("css selector", f"#{elem_id} input[type=file]"), 10, "file input"
    )[0]
    inp.send_keys(str(path))
    # the upload is done when the file's name is listed in the component
    sel = f"#{elem_id} td.filename[aria-label='{path.name}']"
    _wait(drv, lambda d: d.find_elements("css selector", sel), 30, f"upload of {path.name}")


def _shot(drv, name: str) -> None:
    if os.environ.get("VIDIFF_UI_SCREENSHOTS", "1") != "0":
        DOCS.mkdir(exist_ok=True)
        drv.save_screenshot(str(DOCS / name))


def test_ui_in_headless_chromium(server, browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    url, _ = server
    drv = browser
    clip = _cut(sample_clip("bikes"), tmp_path / "bikes12.mp4", 12)
    n_in, fps_in = _count(clip)
    drv.get(url)
    _wait(drv, lambda d: d.find_elements("css selector", "#fr-run"), 30, "page load")

    # every input has a label (Gradio renders each control's label; none is left empty)
    labels = [e.text.strip() for e in drv.find_elements("css selector", "label, [data-testid=block-label]")]
    assert labels and all(labels), labels

    # Frame rate: upload, x2 (default), method dis, run; progress ends with "Done"
    _upload(drv, "fr-input", clip)
    method = drv.find_elements("css selector", "input[aria-label='Method']")
    assert method, "the Method dropdown is labelled"
    for _ in range(5):  # the keyboard alone: focus, type to filter, Enter to pick
        method[0].click()
        method[0].send_keys(Keys.CONTROL, "a")
        method[0].send_keys("dis")
        time.sleep(0.5)
        method[0].send_keys(Keys.ENTER)
        time.sleep(0.5)
        if "optical flow" in _text(drv, "#fr-hint"):
            break
    assert "optical flow" in _text(drv, "#fr-hint"), _text(drv, "#fr-hint")
    drv.find_element("css selector", "#fr-run").click()
    _wait(drv, lambda d: "Done" in _text(d, "#fr-status") or "error" in _text(d, "#fr-status"), 120, "x2 run")
    assert "Done" in _text(drv, "#fr-status"), _text(drv, "#fr-status")
    assert "frames" in _text(drv, "#fr-report")
    link = _wait(
        drv, lambda d: d.find_elements("css selector", "#fr-output a[download]"), 20, "download link"
    )[0]
    name = link.get_attribute("download")
    link.click()
    got = drv.downloads / name
    try:
        _wait(drv, lambda d: got.exists() and got.stat().st_size > 0, 20, "download")
    except Exception:  # headless builds without download support: fetch the same link
        urllib.request.urlretrieve(link.get_attribute("href"), got)
    time.sleep(0.5)
    n_out, fps_out = _count(got)
    assert (n_out, fps_out) == (2 * n_in, 2 * fps_in), (n_in, fps_in, n_out, fps_out)
    _shot(drv, "ui_frame_rate.png")

    # a bad file gives the one-line error, no traceback
    bad = tmp_path / "not_a_video.mp4"
    bad.write_bytes(b"this is not a video\n" * 50)
    _upload(drv, "fr-input", bad)
    drv.find_element("css selector", "#fr-run").click()
    _wait(drv, lambda d: "vidiff: error:" in _text(d, "#fr-status"), 60, "error line")
    err = _text(drv, "#fr-status")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err

    # Metrics: plot and at least one worst-segment row
    _tab(drv, "Metrics")
    _upload(drv, "me-input", clip)
    drv.find_element("css selector", "#me-run").click()
    _wait(drv, lambda d: d.find_elements("css selector", "#me-plot img"), 120, "metrics plot")

    def filled_rows(d):  # the table's rows as text, header left out
        rows = d.execute_script(
            "return [...document.querySelectorAll('#me-table [role=row], #me-table tr')].map(r => r.innerText.trim());"
        )
        return [r for r in rows if r and r.split()[0].isdigit()]

    rows = _wait(drv, filled_rows, 30, "worst segments")
    assert rows[0].split()[0] == "1", rows
    _shot(drv, "ui_metrics.png")

    _tab(drv, "Repair")
    _shot(drv, "ui_repair.png")
