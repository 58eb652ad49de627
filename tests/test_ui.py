"""`vidiff ui` driven in a real headless browser (Debian's chromium + chromium-driver, through Selenium).

Launches `vidiff ui` on a free port (its temporary folder under a TMPDIR of the test's own) and, tab by
tab: Frame rate with the keyboard alone (upload, method, Run, download; the file decodes to 2x the frames
at 2x the fps), a bad file (the one-line error), Cancel (nothing left in the work folder), Social clip
(a still + music: the download decodes at the preset's size with audio), Metrics (plot, worst-segment
rows; a row picked moves the preview there), Repair (a black frame found and rebuilt), Compare (three
methods' table and plot), an accessible name on every control, and the temporary folder gone on exit.
Each tab's screenshot goes to a temporary folder, or with VIDIFF_UI_SCREENSHOTS=1 into docs/ (docs/web-app.md's).
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import write_clip
from social_fields import SOCIAL_UNTOUCHED

from vidiff.io.samples import sample_clip

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
try:
    import gradio  # noqa: F401
    import selenium  # noqa: F401

    HAVE_UI = True
except ImportError:
    HAVE_UI = False

browser_test = pytest.mark.skipif(
    not (HAVE_UI and CHROMIUM and CHROMEDRIVER),
    reason="needs the ui extra (gradio, selenium: pip install -e '.[ui]') and Debian's chromium + "
    "chromium-driver (apt install chromium chromium-driver); .ci/run installs them",
)

DOCS = Path(__file__).resolve().parent.parent / "docs"
# what a keyboard user can reach with Tab, and what must carry an accessible name
CONTROLS = (
    "input:not([type=hidden]), select, textarea, button, a[href], [role=button], [role=tab], [role=slider]"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cut(src: Path, dst: Path, n: int, black: int | None = None) -> Path:
    """The first `n` frames of `src`, re-encoded near-lossless at its rate (frame `black` made black)."""
    with av.open(str(src)) as ic, av.open(str(dst), "w") as oc:
        ist = ic.streams.video[0]
        ost = oc.add_stream("libx264", rate=ist.average_rate)
        ost.width, ost.height, ost.pix_fmt = ist.width, ist.height, "yuv420p"
        ost.codec_context.options = {"crf": "0", "preset": "ultrafast"}
        for k, f in enumerate(ic.decode(ist)):
            if k == n:
                break
            if k == black:
                f = av.VideoFrame.from_ndarray(np.zeros((ist.height, ist.width, 3), np.uint8), format="rgb24")
            for p in ost.encode(f.reformat(format="yuv420p")):
                oc.mux(p)
        for p in ost.encode():
            oc.mux(p)
    return dst


def _count(path: Path) -> tuple[int, Fraction, tuple[int, int], bool]:
    """Frames decoded, frame rate, (width, height), has an audio stream."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        n = sum(1 for _ in c.decode(s))
        return n, Fraction(s.average_rate), (s.width, s.height), bool(c.streams.audio)


def _tone(path: Path, seconds: float = 2.0, rate: int = 44100) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * k / rate)))
                for k in range(int(seconds * rate))
            )
        )
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    port = _free_port()
    tmp = tmp_path_factory.mktemp("ui-tmp")  # the app's temporary folder is made in here
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", OMP_NUM_THREADS="2", TMPDIR=str(tmp))
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
    yield url, proc, tmp
    if proc.poll() is None:
        proc.kill()
        proc.communicate(timeout=30)


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
    drv.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    drv.downloads = downloads
    # screenshots: docs/ only when asked, so that a test run leaves the committed ones alone
    drv.shots = DOCS if os.environ.get("VIDIFF_UI_SCREENSHOTS") == "1" else tmp_path_factory.mktemp("shots")
    yield drv
    drv.quit()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 frames of the bikes sample (640x272, 25 fps)."""
    return _cut(sample_clip("bikes"), tmp_path_factory.mktemp("clips") / "bikes12.mp4", 12)


def _wait(drv, cond, timeout: float = 60, what: str = ""):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(drv, timeout, poll_frequency=0.25).until(cond, message=what)


def _text(drv, css: str) -> str:
    els = drv.find_elements("css selector", css)
    return els[0].text if els else ""


def _open(drv, url: str, tab: str | None = None) -> None:
    drv.get(url)
    _wait(drv, lambda d: d.find_elements("css selector", "#fr-run"), 30, "page load")
    if tab:
        _tab(drv, tab)


def _tab(drv, name: str) -> None:
    for b in drv.find_elements("css selector", "button[role=tab]"):
        if b.text.strip() == name:
            b.click()
            time.sleep(0.3)
            return
    raise AssertionError(f"no tab {name!r}")


def _upload(drv, elem_id: str, path: Path) -> None:
    """A file chosen in the upload's file dialog (what Selenium's send_keys on the file input does)."""
    for clear in drv.find_elements("css selector", f"#{elem_id} button[aria-label=Clear]"):
        clear.click()  # a file is already there: remove it first
    inp = _wait(
        drv, lambda d: d.find_elements("css selector", f"#{elem_id} input[type=file]"), 10, "file input"
    )[0]
    inp.send_keys(str(path))
    # the upload is done when the file's name is listed in the component
    sel = f"#{elem_id} td.filename[aria-label='{path.name}']"
    _wait(drv, lambda d: d.find_elements("css selector", sel), 30, f"upload of {path.name}")


def _type_pick(box, value: str) -> None:
    """Pick `value` in a dropdown's input `box` with the keyboard: select what it shows, type to filter,
    Enter."""
    from selenium.webdriver.common.keys import Keys

    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(value)
    time.sleep(0.4)
    box.send_keys(Keys.ENTER)


def _choose(drv, elem_id: str, value: str) -> None:
    """Pick `value` in the dropdown `elem_id` with the keyboard (`_type_pick`), retried until it shows."""
    box = drv.find_element("css selector", f"#{elem_id} input")
    for _ in range(5):
        box.click()
        _type_pick(box, value)
        time.sleep(0.4)
        if box.get_attribute("value") == value:
            return
    raise AssertionError(f"{elem_id}: could not pick {value!r} (shows {box.get_attribute('value')!r})")


def _radio(drv, elem_id: str, value: str) -> None:
    for lab in drv.find_elements("css selector", f"#{elem_id} label"):
        if lab.text.strip() == value:
            lab.click()
            return
    raise AssertionError(f"{elem_id}: no choice {value!r}")


def _tab_to(drv, matches: str, what: str, presses: int = 80):
    """Press Tab until the focused element matches the CSS selector `matches`; returns it."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for _ in range(presses):
        ActionChains(drv).send_keys(Keys.TAB).perform()
        if drv.execute_script("return document.activeElement.matches(arguments[0]);", matches):
            return drv.switch_to.active_element
    raise AssertionError(f"{what} is not reachable with Tab ({presses} presses)")


def _wait_status(drv, prefix: str, words: tuple[str, ...], timeout: float = 400) -> str:
    sel = f"#{prefix}-status"
    _wait(drv, lambda d: any(w in _text(d, sel) for w in words), timeout, f"{prefix} status {words}")
    return _text(drv, sel)


def _rows(drv, elem_id: str) -> list[list[str]]:
    """The body rows of the table `elem_id`, as the text of their cells (Gradio's virtual grid rows)."""
    rows = drv.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map("
        "r => [...r.querySelectorAll('[role=gridcell]')].map(c => c.innerText.trim()));",
        f"#{elem_id} [role=row]",
    )
    return [r for r in rows if r and r[0]]


def _fetch(link, dst: Path) -> Path:
    urllib.request.urlretrieve(link.get_attribute("href"), dst)
    return dst


def _shot(drv, name: str) -> None:
    # close any dropdown list left open by Tab presses in quick succession (Gradio 6 can miss that blur):
    # focus and blur its box again
    drv.execute_script(
        "for (const box of document.querySelectorAll('input[aria-expanded=true]')) { box.focus(); box.blur(); }"
        "document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);"
    )
    time.sleep(0.3)
    assert drv.save_screenshot(str(drv.shots / name)), name


def _listening(port: int) -> set[str] | None:
    """The local addresses listening on TCP `port`, from Linux's /proc/net/tcp{,6}; None elsewhere."""
    found, seen = set(), False
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(name):
            continue
        seen = True
        for line in Path(name).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.rsplit(":", 1)
            if state == "0A" and int(p, 16) == port:  # LISTEN
                raw = bytes.fromhex(addr)
                if len(raw) == 4:
                    found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:  # four little-endian 32-bit words
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found if seen else None


def _work_folders(tmp: Path, kind: str) -> list[Path]:
    return [p for p in tmp.glob(f"vidiff-ui-*/{kind}-*")]


@browser_test
def test_frame_rate_with_the_keyboard(server, browser, clip: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    url, _, _ = server
    drv = browser
    n_in, fps_in, _, _ = _count(clip)
    _open(drv, url)
    # the upload is reached with Tab (Enter there opens the file dialog; Selenium fills it)
    _tab_to(drv, "#fr-input *", "the upload area")
    _upload(drv, "fr-input", clip)
    drv.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
    _type_pick(_tab_to(drv, "#fr-method input", "the Method dropdown"), "dis")
    _wait(drv, lambda d: "optical flow" in _text(d, "#fr-hint"), 10, "method hint for dis")
    _tab_to(drv, "#fr-run", "the Run button").send_keys(Keys.ENTER)
    status = _wait_status(drv, "fr", ("Done", "error"))
    assert status.startswith("Done"), status
    assert "frames" in _text(drv, "#fr-report")
    _wait(drv, lambda d: d.find_elements("css selector", "#fr-output a[download]"), 20, "download link")
    name = drv.find_element("css selector", "#fr-output a[download]").get_attribute("download")
    _tab_to(drv, "#fr-output a[download]", "the download link").send_keys(Keys.ENTER)
    got = drv.downloads / name
    _wait(drv, lambda d: got.exists() and got.stat().st_size > 0, 20, "download by Enter on the link")
    time.sleep(0.5)  # the browser renames its partial file into place
    n_out, fps_out, _, _ = _count(got)
    assert (n_out, fps_out) == (2 * n_in, 2 * fps_in), (n_in, fps_in, n_out, fps_out)
    # the compare slider moved with the arrow keys redraws the before | after picture (it followed the
    # mouse's release only: the picture stayed at 0 s while the slider said otherwise)
    pair = "const i = document.querySelector('#fr-pair img'); return i ? i.src : null;"
    first = _wait(drv, lambda d: d.execute_script(pair), 30, "the before | after picture")
    _tab_to(drv, "[aria-label^='range slider for Compare at time']", "the compare slider")
    for _ in range(3):
        drv.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    _wait(drv, lambda d: d.execute_script(pair) not in (None, first), 30, "the picture at the new time")
    _shot(drv, "ui_frame_rate.png")

    # a bad file gives the CLI's one-line error, no traceback
    bad = clip.parent / "not_a_video.mp4"
    bad.write_bytes(b"this is not a video\n" * 50)
    _upload(drv, "fr-input", bad)
    drv.find_element("css selector", "#fr-run").click()
    err = _wait_status(drv, "fr", ("vidiff: error:",), 60)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


@browser_test
def test_quality_menu_with_the_keyboard(server, browser, clip: Path) -> None:
    """Quality (issue 28) is reached with Tab and picked by typing: the tier's line shows, Method goes back
    to auto, and the run uses the tier's method; a method picked puts Quality back to auto."""
    from selenium.webdriver.common.keys import Keys

    from vidiff.ui.rate import METHOD_HINTS, QUALITY_HINTS

    url, _, _ = server
    drv = browser
    _open(drv, url)
    _upload(drv, "fr-input", clip)
    _choose(drv, "fr-method", "blend")  # a method first: picking a tier puts it back to auto
    # the pick's events answered (its hint shown) before the tier is picked, so none lands after it
    _wait(drv, lambda d: _text(d, "#fr-hint") == METHOD_HINTS["blend"], 20, "blend's hint")
    time.sleep(0.5)
    drv.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
    quality = _tab_to(drv, "#fr-quality input", "the Quality dropdown")
    _type_pick(quality, "fast")
    _wait(drv, lambda d: _text(d, "#fr-hint") == QUALITY_HINTS["fast"], 20, "the fast tier's line")
    method = drv.find_element("css selector", "#fr-method input")
    _wait(drv, lambda d: method.get_attribute("value") == "auto", 20, "Method back to auto")
    _tab_to(drv, "#fr-run", "the Run button").send_keys(Keys.ENTER)
    status = _wait_status(drv, "fr", ("Done", "error"))
    assert status.startswith("Done"), status
    assert "dis (quality fast)" in _text(drv, "#fr-report"), _text(drv, "#fr-report")
    _choose(drv, "fr-method", "blend")
    _wait(drv, lambda d: quality.get_attribute("value") == "auto", 20, "Quality back to auto")
    _wait(drv, lambda d: _text(d, "#fr-hint") == METHOD_HINTS["blend"], 20, "blend's hint again")


@browser_test
def test_cancel_leaves_nothing(server, browser) -> None:
    url, _, tmp = server
    drv = browser
    _open(drv, url)
    before = set(_work_folders(tmp, "rate"))  # the earlier run's output, still offered for download
    _choose(drv, "fr-input-sample", "bikes")  # 250 frames: slow motion x4 makes 1000
    _radio(drv, "fr-mode", "slow motion x4")
    _choose(drv, "fr-method", "dis")
    drv.find_element("css selector", "#fr-run").click()
    _wait(drv, lambda d: "/ 1000 frames" in _text(d, "#fr-status"), 60, "the run to start")
    assert set(_work_folders(tmp, "rate")) - before, "the running job has a folder of its own"
    drv.find_element("css selector", "#fr-cancel").click()
    status = _wait_status(drv, "fr", ("Cancelled", "Done", "error"), 60)
    assert status.startswith("Cancelled"), status
    assert set(_work_folders(tmp, "rate")) == before, "the cancelled job's folder is removed"
    assert not drv.find_elements("css selector", "#fr-output a[download]"), "no output is offered"


@browser_test
def test_before_player_plays_what_the_browser_cannot(server, browser, clip: Path) -> None:
    """Issue 33: an MPEG-4 part 2 .mkv input is shown in the Before player through an H.264 preview that
    the browser decodes (a picture of the clip's size), and the method hint is the one table's line."""
    from vidiff.flow import method_line

    url, _, _ = server
    drv = browser
    mkv = clip.parent / "bikes12_mpeg4.mkv"
    with av.open(str(clip)) as ic, av.open(str(mkv), "w") as oc:
        ost = oc.add_stream("mpeg4", rate=ic.streams.video[0].average_rate)
        ost.width, ost.height, ost.pix_fmt = 640, 272, "yuv420p"
        for f in ic.decode(video=0):
            oc.mux(ost.encode(f.reformat(format="yuv420p")))
        oc.mux(ost.encode())
    _open(drv, url)
    _upload(drv, "fr-input", mkv)
    _choose(drv, "fr-method", "blend")
    _wait(drv, lambda d: _text(d, "#fr-hint") == f"blend: {method_line('blend')}.", 10, "blend's hint")
    drv.find_element("css selector", "#fr-run").click()
    status = _wait_status(drv, "fr", ("Done", "error"))
    assert status.startswith("Done"), status
    size = "const v = document.querySelector('#fr-before video'); return v ? [v.videoWidth, v.currentSrc] : null;"
    _wait(drv, lambda d: (d.execute_script(size) or [0])[0] > 0, 30, "the Before player to decode a picture")
    width, src = drv.execute_script(size)
    assert width == 640 and "_preview.mp4" in src, (width, src)


@browser_test
def test_social_clip(server, browser, clip: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    url, _, _ = server
    drv = browser
    still = clip.parent / "still.png"
    with av.open(str(clip)) as c:
        next(c.decode(video=0)).to_image().save(still)
    music = _tone(clip.parent / "music.wav")
    _open(drv, url, "Social clip")
    _upload(drv, "so-input", still)
    _upload(drv, "so-music", music)
    _radio(drv, "so-aspect", "1:1")
    # the model's settings opened and closed: their fields are in the page (Gradio's number fields sent 0
    # once shown, whatever the label said of empty: steps 0 refused); the optional numbers show empty
    model = next(b for b in drv.find_elements("css selector", ".label-wrap") if "Video diffusion" in b.text)
    model.click()
    steps = _wait(drv, lambda d: d.find_elements("css selector", "#so-steps input"), 20, "model settings")
    assert steps[0].get_attribute("value") == "", steps[0].get_attribute("value")
    assert drv.find_element("css selector", "#so-extend input").get_attribute("value") == ""
    model.click()
    secs = drv.find_element("css selector", "#so-seconds input")
    # a comma first: the handler gets what was typed and says the CLI's one line, in the page (a number
    # field's browser dropped the comma: 2,5 seconds ran as 25)
    for value in ("0,2", "0.2"):
        secs.send_keys(Keys.CONTROL, "a")
        secs.send_keys(value)
        drv.find_element("css selector", "#so-run").click()
        if value == "0,2":
            err = _wait_status(drv, "so", ("vidiff: error:",), 60)
            assert err == "vidiff: error: seconds '0,2': must be a number", err
    # the first run's error line stays until the second run reports: wait for it to go first
    _wait(drv, lambda d: "must be a number" not in _text(d, "#so-status"), 60, "so status cleared")
    status = _wait_status(drv, "so", ("Done", "error"), 400)
    assert status.startswith("Done"), status
    _wait(drv, lambda d: d.find_elements("css selector", "#so-preview video[src]"), 20, "preview")
    link = _wait(drv, lambda d: d.find_elements("css selector", "#so-output a[download]"), 20, "download")[0]
    n, fps, size, audio = _count(_fetch(link, clip.parent / "social.mp4"))
    assert (n, fps, size, audio) == (6, 30, (1080, 1080), True), (n, fps, size, audio)
    assert "1080x1080" in _text(drv, "#so-report")
    _shot(drv, "ui_social.png")


@browser_test
def test_metrics_and_seek(server, browser, clip: Path) -> None:
    url, _, _ = server
    drv = browser
    _open(drv, url, "Metrics")
    _upload(drv, "me-input", clip)
    drv.find_element("css selector", "#me-run").click()
    _wait(drv, lambda d: d.find_elements("css selector", "#me-plot img"), 120, "metrics plot")

    rows = _wait(drv, lambda d: _rows(d, "me-table"), 30, "worst segments")
    assert rows[0][0] == "1", rows
    assert drv.find_elements("css selector", "#me-thumbs img"), "thumbnails of the worst segments"
    # a row picked: the preview jumps to that segment's peak
    peak = float(rows[-1][5])
    drv.find_element("css selector", f"#me-table [data-testid='cell-{len(rows) - 1}-1']").click()
    _wait(
        drv,
        lambda d: (
            abs(d.execute_script("return document.querySelector('#me-video video').currentTime;") - peak)
            < 0.02
        ),
        20,
        f"the preview at {peak} s",
    )
    _wait(drv, lambda d: d.find_elements("css selector", "#me-frame img"), 20, "the peak's frame")
    _shot(drv, "ui_metrics.png")


@browser_test
def test_repair(server, browser, clip: Path) -> None:
    url, _, _ = server
    drv = browser
    broken = _cut(sample_clip("carphone_pristine"), clip.parent / "carphone_black6.mp4", 12, black=6)
    _open(drv, url, "Repair")
    _upload(drv, "re-input", broken)
    _choose(drv, "re-method", "dis")
    drv.find_element("css selector", "#re-run").click()
    status = _wait_status(drv, "re", ("Replaced", "No frame", "error"), 120)
    assert status.startswith("Replaced 1 frame(s): 6 (black)"), status
    _wait(drv, lambda d: d.find_elements("css selector", "#re-thumbs img"), 20, "thumbnail of frame 6")
    link = drv.find_element("css selector", "#re-output a[download]")
    n, _, _, _ = _count(_fetch(link, clip.parent / "repaired.mp4"))
    assert n == 12
    _shot(drv, "ui_repair.png")


@browser_test
def test_compare(server, browser) -> None:
    url, _, _ = server
    drv = browser
    _open(drv, url, "Compare")
    from selenium.webdriver.common.keys import Keys

    _choose(drv, "co-input-sample", "carphone_pristine")
    frames = drv.find_element("css selector", "#co-max input")
    frames.send_keys(Keys.CONTROL, "a")
    frames.send_keys("13")  # frames 0-12: 6 of them rebuilt from their neighbours
    time.sleep(0.3)
    drv.find_element("css selector", "#co-run").click()
    status = _wait_status(drv, "co", ("Done", "error"), 400)
    assert status.startswith("Done: 3 methods on 13 frames"), status
    rows = _rows(drv, "co-table")
    by_method = {r[0]: r for r in rows}
    assert set(by_method) == {"dup", "blend", "dis"}, rows
    psnr = {m: float(r[1]) for m, r in by_method.items()}
    assert all(15 < v < 60 for v in psnr.values()) and psnr["dis"] > psnr["dup"], psnr
    assert all(r[-1] == "ok" and r[7] == "6" for r in by_method.values()), rows
    _wait(drv, lambda d: d.find_elements("css selector", "#co-plot img"), 20, "plot")
    _shot(drv, "ui_compare.png")


@browser_test
def test_every_control_has_a_label(server, browser) -> None:
    url, _, _ = server
    drv = browser
    _open(drv, url)
    unnamed, seen = [], 0
    for tab in ("Frame rate", "Social clip", "Metrics", "Repair", "Compare"):
        _tab(drv, tab)
        # the controls shown, leaving out what is hidden from assistive technology (aria-hidden copies)
        controls = drv.execute_script(
            "return [...document.querySelectorAll(arguments[0])].filter(e => e.offsetParent !== null"
            " && !e.closest('[aria-hidden=true]'));",
            CONTROLS,
        )
        for el in controls:
            seen += 1
            if not (el.accessible_name or "").strip():
                unnamed.append(f"{tab}: {el.get_attribute('outerHTML')[:160]}")
    assert seen > 40, seen
    assert not unnamed, "\n".join(unnamed)


@browser_test
def test_exit_removes_the_temporary_folder(server) -> None:
    url, proc, tmp = server
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    assert _listening(port) in ({"127.0.0.1"}, None), _listening(port)  # only this machine can connect
    assert list(tmp.glob("vidiff-ui-*")), "the app works in a temporary folder"
    proc.terminate()
    out = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, out
    assert "Traceback" not in out, out
    assert list(tmp.iterdir()) == [], list(tmp.rglob("*"))[:10]


def test_missing_extra_is_one_line() -> None:
    """Without Gradio, `vidiff ui` says how to install it in one `vidiff: error:` line (exit code 2)."""
    code = "import sys; sys.modules['gradio'] = None; from vidiff.cli import main; sys.exit(main(['ui']))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r
    assert r.stderr.strip().splitlines() == [
        'vidiff: error: vidiff ui needs Gradio, which is not installed: pip install -e ".[ui]" '
        "(or pip install gradio)"
    ], r.stderr


# --- the handlers driven directly (no browser): a crafted request's bad value is one line, before any work


def _handler_app(tmp: Path):
    from vidiff.ui.core import App

    return App(tmp / "work")


def _last(handler, *args) -> str:
    """The status line the handler ends on (it must not raise)."""
    from types import SimpleNamespace

    outs = list(handler(*args, SimpleNamespace(session_hash="t"), lambda *a, **k: None))
    return outs[-1][0]


SOCIAL_MODEL_FIELDS = SOCIAL_UNTOUCHED  # the Social tab's generator settings as the page sends them untouched


def _small(tmp: Path) -> str:
    """8 frames of 48x32 noise at 25 fps: enough for every tab's checks."""
    rng = np.random.default_rng(0)
    return str(write_clip(tmp / "small.mp4", list(rng.integers(0, 255, (8, 32, 48, 3), np.uint8))))


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
@pytest.mark.parametrize(
    ("tab", "value", "line"),
    [
        ("rate", math.nan, "vidiff: error: crf nan: must be a whole number"),
        # the crf is a text field read as --crf: a slider's number box ran 2,5 as 25, an emptied one as 0
        ("rate", "2,5", "vidiff: error: crf '2,5': must be a number"),
        ("rate", " 17.5 ", "vidiff: error: crf 17.5: must be a whole number"),
        ("rate", 17.5, "vidiff: error: crf 17.5: must be a whole number"),  # not silently 17
        ("rate", 60, "vidiff: error: crf 60 out of range for h264: use 0-51"),
        ("rate-vp9", 60, None),  # vp9's 0-63: the slider stopped at 51
        ("rate-av1", 0, "vidiff: error: crf 0 out of range for av1: use 1-63"),
        ("metrics", math.nan, "vidiff: error: top nan: must be a whole number, 0 or more"),
        ("metrics", 2.5, "vidiff: error: top 2.5: must be a whole number, 0 or more"),
        ("metrics", "2,5", "vidiff: error: top '2,5': must be a number"),
        ("metrics", "-1", "vidiff: error: top -1: must be a whole number, 0 or more"),
        ("compare", math.nan, "vidiff: error: max_frames must be a whole number, at least 2 (not nan)"),
        ("compare", None, None),  # None: the whole clip, as without --max-frames (it runs)
        ("compare", 2.5, "vidiff: error: max_frames must be a whole number, at least 2 (not 2.5)"),
        ("compare", "2,5", "vidiff: error: max_frames '2,5': must be a number"),
        ("rate-fps", [60], "vidiff: error: target fps: give a rate above 0, e.g. 60"),  # was a TypeError
        ("rate-fps", " ", "vidiff: error: target fps: give a rate above 0, e.g. 60"),  # the field emptied
        # the field is text, read as --fps: the browser's number field sent 12,5 as 125 and ran it
        ("rate-fps", "12,5", "vidiff: error: invalid frame rate '12,5'; use e.g. 60, 59.94 or 30000/1001"),
        ("rate-fps", " 30000/1001 ", None),  # 300001001 from a number field
        ("compare-methods", ["dup", 3], "vidiff: error: methods ['dup', 3]: pick two or more from the list"),
        (
            "compare-methods",
            "dup,blend",
            "vidiff: error: methods 'dup,blend': pick two or more from the list",
        ),
        ("social-aspect", None, "vidiff: error: unknown aspect None; choose one of: 9:16, 1:1, 16:9, 4:5"),
        (
            "social-aspect",
            "../x",
            "vidiff: error: unknown aspect '../x'; choose one of: 9:16, 1:1, 16:9, 4:5",
        ),
        (
            "social-aspect",
            ["9:16"],
            "vidiff: error: unknown aspect ['9:16']; choose one of: 9:16, 1:1, 16:9, 4:5",
        ),
        ("social-strength", "0,3", "vidiff: error: strength '0,3': must be a number"),  # was 3, then 1
        ("social-strength", "1.5", "vidiff: error: strength must be between 0 and 1, not 1.5"),
        ("social-fps", None, "vidiff: error: fps None: must be a number"),
        ("social-fps", 30.5, "vidiff: error: fps 30.5 for a social clip: use one of 24, 25, 30, 50, 60"),
        ("social-seed", math.nan, "vidiff: error: seed nan: must be a whole number from 0 to 4294967295"),
        ("social-seed", "2,5", "vidiff: error: seed '2,5': must be a number"),
        ("social-prompt", 3, "vidiff: error: prompt 3: must be a string (or None)"),  # was an AttributeError
        ("social-negative", ["a"], "vidiff: error: negative_prompt ['a']: must be a string (or None)"),
        ("social-weights", {"a": 1}, "vidiff: error: weights {'a': 1}: must be a string (or None)"),
        ("social-prompt", None, None),  # an empty field: no model, the still animated (it runs)
        ("social-loop", "no", "vidiff: error: loop 'no': must be True or False"),  # was bool('no'): a loop
        ("social-backend", [], "vidiff: error: backend []: must be a string (or None)"),  # was auto
        ("social-backend", 3, "vidiff: error: backend 3: must be a string (or None)"),
    ],
)
def test_a_bad_number_from_a_crafted_request_is_one_line(tmp_path: Path, tab: str, value, line) -> None:
    """A value the controls cannot send but a crafted request can (NaN, None, 17.5, a path as the aspect)
    is the API's one `vidiff: error:` line, before any work, and leaves no job folder; the handler never
    raises (an unexpected TypeError used to surface, or 17.5 ran as crf 17)."""
    from vidiff.ui import compare, metrics, rate, social

    app = _handler_app(tmp_path)
    src = _small(tmp_path)
    if tab == "rate":
        got = _last(rate._run_rate(app), src, None, "x2", 60, "auto", "blend", "h264", value)
    elif tab == "metrics":
        got = _last(metrics._run_metrics(app), src, None, value)
    elif tab == "compare":
        got = _last(compare._run_compare(app), src, None, ["dup", "blend"], "2", value)
    elif tab in ("rate-vp9", "rate-av1"):
        codec = tab.split("-")[1]
        got = _last(rate._run_rate(app), src, None, "x2", 60, "auto", "blend", codec, value)
    elif tab == "rate-fps":
        got = _last(rate._run_rate(app), src, None, "target fps", value, "auto", "blend", "h264", 18)
    elif tab == "compare-methods":
        got = _last(compare._run_compare(app), src, None, value, "2", 60)
    else:
        still = tmp_path / "still.png"
        import cv2

        cv2.imwrite(str(still), np.zeros((32, 48, 3), np.uint8))
        kw = dict(aspect="9:16", motion="auto", strength=0.25, seconds=0.2, extend=None, fps=30, loop=False)
        kw |= dict(music=None, prompt="", negative="", weights="", backend="auto", seed=0)
        kw |= SOCIAL_MODEL_FIELDS
        name = tab.split("-")[1]
        kw[name] = value
        if name == "seed":
            kw["weights"] = str(tmp_path / "no-such-weights")  # the seed counts with a model only
        got = _last(social._run_social(app), str(still), None, *kw.values())
    if line is None:
        assert got.startswith("Done:"), got
        return
    assert got == line
    assert [p.name for p in app.workdir.iterdir()] == [], "a refused run leaves no job folder"


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_the_compare_slider_follows_the_keyboard(tmp_path: Path) -> None:
    """The Frame rate tab's before | after picture is redrawn on the slider's `input` (mouse, arrow keys, a
    typed time), the last move counting; on `release` (the mouse's only) the arrow keys moved the slider
    and left the picture at the old time (seen in a browser; test_frame_rate_with_the_keyboard)."""
    from vidiff.ui.app import build_app

    demo = build_app(tmp_path / "app")
    redraws = [
        (getattr(demo.blocks[b], "label", None), event, f.trigger_mode)
        for f in demo.fns.values()
        if getattr(f.fn, "__name__", "") == "compare_at"
        for b, event in f.targets
    ]
    assert [r for r in redraws if r[0] and r[0].startswith("Compare at time")] == [
        ("Compare at time (s): before | after", "input", "always_last")
    ], redraws


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_social_tab_sends_a_clip_only_what_applies_to_it(tmp_path: Path) -> None:
    """The page always holds a still's length, motion and strength: for an uploaded clip they are not sent
    (make_clip refuses them for a clip). The extension field is empty unless typed: for a still it is
    sent and refused in make_clip's one line (test_hostile5_generate), not dropped."""
    from vidiff.ui import social

    app = _handler_app(tmp_path)
    still = tmp_path / "still.png"
    import cv2

    cv2.imwrite(str(still), np.zeros((32, 48, 3), np.uint8))
    kw = dict(aspect="1:1", motion="zoom-in", strength=0.5, seconds=0.2, extend=0.1, fps=24, loop=False)
    kw |= dict(music=None, prompt="", negative="", weights="", backend="auto", seed=0)
    kw |= SOCIAL_MODEL_FIELDS
    for src in (_small(tmp_path), str(still)):
        kw["extend"] = None if src == str(still) else 0.1
        got = _last(social._run_social(app), src, None, *kw.values())
        assert got.startswith("Done:"), got


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_social_tab_shows_the_runs_notes(tmp_path: Path, monkeypatch) -> None:
    """make_clip's note: lines (weights from the cache when the hub cannot be reached, dis when RIFE's
    weights are missing) went to the server's stderr only: the page shows them under its status line."""
    import vidiff.generate
    from vidiff.ui import social

    said = ["note: cannot reach the hub (x); using a/b from the local Hugging Face cache"]

    def fake(out, **kw):
        model = {"backend": "wan", "pipeline": "WanPipeline", "keyframes": 8, "keyframe_fps": 16.0}
        return {"size": [1080, 1080], "fps": 24, "frames": 12, "seconds": 0.5, "notes": said, **model}

    monkeypatch.setattr(vidiff.generate, "make_clip", fake)
    app = _handler_app(tmp_path)
    kw = dict(aspect="1:1", motion="auto", strength=0.25, seconds=0.5, extend=None, fps=24, loop=False)
    kw |= dict(music=None, prompt="a cat", negative="", weights="a/b", backend="auto", seed=0)
    kw |= SOCIAL_MODEL_FIELDS
    got = _last(social._run_social(app), None, None, *kw.values())
    assert got == f"Done: 12 frames, 0.5 s at 1080x1080.\n\n{said[0]}", got


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_social_tab_does_not_drop_a_sample_picked_with_a_model(tmp_path: Path) -> None:
    """A bundled sample picked with a prompt and weights was dropped without a word (the model made a clip
    from the prompt alone): it is used now, the clip continued by the model (here its missing weights' one
    line)."""
    from vidiff.ui import social

    app = _handler_app(tmp_path)
    kw = dict(aspect="1:1", motion="auto", strength=0.25, seconds=0.5, extend=None, fps=24, loop=False)
    kw |= dict(music=None, prompt="a cat", negative="", weights=str(tmp_path / "w"), backend="auto", seed=0)
    kw |= SOCIAL_MODEL_FIELDS
    got = _last(social._run_social(app), None, "carphone_pristine", *kw.values())
    assert got == f"vidiff: error: weights {tmp_path / 'w'}: no such folder", got
    got = _last(social._run_social(app), None, social.NO_SAMPLE, *kw.values())  # no sample: text to video
    assert got == f"vidiff: error: weights {tmp_path / 'w'}: no such folder", got
    assert not [p for p in app.workdir.iterdir() if p.name != "samples"]


def test_bench_max_frames_is_the_compare_tabs_check(capsys) -> None:
    """`vidiff bench --max-frames 1` and the Compare tab refuse with the same line (one shared check)."""
    from vidiff.cli import main

    assert main(["bench", "--max-frames", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "vidiff: error: max_frames must be a whole number, at least 2 (not 1)", err


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_damaged_input_warning_is_shown_in_the_page_every_run(tmp_path: Path) -> None:
    """A truncated clip is used as far as it decodes with the CLI's one warning, shown under the status
    line (it went to the server's stderr only, once per process: the page said just 'Done')."""
    from vidiff.ui import metrics, rate

    rng = np.random.default_rng(1)
    whole = write_clip(tmp_path / "whole.mkv", list(rng.integers(0, 255, (30, 32, 48, 3), np.uint8)))
    data = whole.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) * 6 // 10])
    before = cut.read_bytes()
    app = _handler_app(tmp_path)
    for _ in range(2):  # the second run: the process printed its warning already
        got = _last(rate._run_rate(app), str(cut), None, "x2", 60, "auto", "blend", "h264", 18)
        assert got.startswith("Done:"), got
        assert got.count("warning:") == 1 and "\n\nwarning: cut.mkv: header lists" in got, got
    got = _last(metrics._run_metrics(app), str(cut), None, 3)
    assert "```\n\nwarning: cut.mkv: header lists" in got, got  # under the report's text block
    assert cut.read_bytes() == before, "the input is never modified"


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_an_odd_size_padded_to_even_is_said_in_the_page(tmp_path: Path) -> None:
    """A 47x33 clip is written 48x34 in yuv420p: the CLI's `note:` line said so on the server's stderr
    only; the Frame rate and Repair tabs now show it under their status line (an even clip: no note)."""
    from vidiff.ui import rate, repair

    rng = np.random.default_rng(2)
    odd = write_clip(
        tmp_path / "odd.mkv", list(rng.integers(0, 255, (8, 33, 47, 3), np.uint8)), pix_fmt="yuv444p"
    )
    app = _handler_app(tmp_path)
    got = _last(rate._run_rate(app), str(odd), None, "x2", 60, "auto", "blend", "h264", 18)
    assert got == (
        "Done: 16 frames written.\n\nnote: odd_x2.mp4: 47x33 is written as 48x34 (its last column and row "
        "repeated: yuv420p needs even sides)"
    ), got
    got = _last(repair._run_repair(app), str(odd), None, "auto", "blend")
    assert got.endswith(
        "\n\nnote: odd_repaired.mp4: 47x33 is written as 48x34 (its last column and row repeated: yuv420p "
        "needs even sides)"
    ), got
    wide = write_clip(
        tmp_path / "wide.mkv", list(rng.integers(0, 255, (8, 32, 47, 3), np.uint8)), pix_fmt="yuv444p"
    )
    got = _last(rate._run_rate(app), str(wide), None, "x2", 60, "auto", "blend", "h264", 18)
    assert got.endswith("47x32 is written as 48x32 (its last column repeated: yuv420p needs even sides)"), got
    got = _last(rate._run_rate(app), _small(tmp_path), None, "x2", 60, "auto", "blend", "h264", 18)
    assert got == "Done: 16 frames written.", got


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_cancel_after_the_last_cancel_point_keeps_nothing(tmp_path: Path) -> None:
    """Cancel pressed while a job is past its last cancel point (Repair's search for bad frames on a clip
    with none calls no interpolator) used to be ignored: 'No frame replaced' and the output kept."""
    from vidiff.ui.core import App, Cancelled

    app = App(tmp_path / "work")
    folder = app.new_folder("repair")

    def work(job):  # no cancel point at all, as infill_file's detection pass
        (folder / "out.mp4").write_bytes(b"x")
        time.sleep(0.6)
        return "done"

    run = app.run_job(("s", "repair"), folder, work)
    next(run)  # running
    assert app.cancel(("s", "repair"))
    job = list(run)[-1]
    assert isinstance(job.error, Cancelled) and job.result is None
    assert not folder.exists(), "a cancelled job's folder is removed"


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_the_frame_rate_tab_writes_an_animated_gif(tmp_path: Path) -> None:
    """Codec 'gif' in the Frame rate tab writes an animated GIF (its crf set aside: a GIF takes none), and
    a rate a GIF cannot play is the CLI's one line, before any work."""
    from types import SimpleNamespace

    from vidiff.ui import rate

    app = _handler_app(tmp_path)
    src = _small(tmp_path)
    outs = list(
        rate._run_rate(app)(
            src, None, "x2", 60, "auto", "blend", "gif", 18, SimpleNamespace(session_hash="t")
        )
    )
    status, out = outs[-1][0], outs[-1][1]
    assert status.startswith("Done: 16 frames written."), status
    assert out.endswith("_x2.gif") and Path(out).is_file() and outs[-1][4] is None  # no video preview
    with av.open(out) as c:
        assert c.format.name == "gif" and sum(1 for _ in c.decode(video=0)) == 16
    got = _last(rate._run_rate(app), src, None, "target fps", 60, "auto", "blend", "gif", 18)
    assert got.startswith("vidiff: error: ") and "a GIF plays at most 50 fps" in got, got


@pytest.mark.skipif(not HAVE_UI, reason="needs the ui extra (gradio)")
def test_the_social_tab_writes_an_animated_gif(tmp_path: Path) -> None:
    """The Social tab's GIF box writes the clip as an animated GIF (no video preview); music with it is the
    CLI's one line (a GIF holds no audio)."""
    from types import SimpleNamespace

    import cv2

    from vidiff.ui import social

    app = _handler_app(tmp_path)
    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.full((32, 48, 3), 90, np.uint8))
    kw = dict(aspect="1:1", motion="auto", strength=0.25, seconds=0.2, extend=None, fps=30, loop=False)
    kw |= dict(music=None, prompt="", negative="", weights="", backend="auto", seed=0)
    kw |= SOCIAL_MODEL_FIELDS | {"gif": True}
    outs = list(social._run_social(app)(str(still), None, *kw.values(), SimpleNamespace(session_hash="t")))
    status, preview, out = outs[-1][:3]
    assert status.startswith("Done: 6 frames"), status
    assert preview is None and out.endswith("_1x1.gif")
    with av.open(out) as c:
        assert c.format.name == "gif" and sum(1 for _ in c.decode(video=0)) == 6
    kw["music"] = str(still)
    got = _last(social._run_social(app), str(still), None, *kw.values())
    assert got.startswith("vidiff: error: ") and "a GIF holds no audio" in got, got
