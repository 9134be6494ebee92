"""The widgets in a real browser: JupyterLab in headless Chromium, driven like a person would.

Starts ``jupyter lab`` on 127.0.0.1 (random free port, a token) over a copy
of the notebooks, opens each notebook that has widgets, runs all cells from
JupyterLab's Run menu, waits for the kernel, then checks that every widget
rendered, moves its controls with the mouse and the keyboard, and checks
what the class would see change. A screenshot of each notebook after the
interaction goes to ``test-artifacts/browser/`` (git-ignored).

Needs Debian's ``chromium`` and the ``playwright`` package (``.ci/run``
installs both). Without them the test is skipped, except under CI, where it
fails: there it must run.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from dwconv_utils.images import EXAMPLE_KERNELS, depthwise_weight
from dwconv_utils.widgets import tracer_image

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
# JupyterLab settings for the test: render every cell (no virtual scrolling, so
# widgets far down exist in the page), no autosave, no news or update checks.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}
WIDGET_TROUBLE = ("Loading widget...", "Error displaying widget", "Error rendering widget",
                  "Failed to load model class", "model not found")


def _chromium() -> str | None:
    configured = os.environ.get("DWCONV_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    if _chromium() is None:
        return "no Chromium found (apt-get install chromium, or set DWCONV_CHROMIUM)"
    return None


def _require_browser() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"the browser test must run in CI, but {reason}")
    pytest.skip(f"browser test skipped: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server over a copy of the notebooks; ``stop()`` always ends it."""

    def __init__(self, workdir: Path):
        self.port, self.token = _free_port(), os.urandom(16).hex()
        self.url = f"http://127.0.0.1:{self.port}"
        notebooks = workdir / "notebooks"
        shutil.copytree(ROOT / "notebooks", notebooks)
        settings = workdir / "settings"
        for name, values in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(values))
        command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
                   f"--port={self.port}", "--ServerApp.port_retries=0",  # that port or fail
                   f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={notebooks}", f"--LabApp.user_settings_dir={settings}",
                   f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(workdir / "config"),
                   JUPYTER_RUNTIME_DIR=str(workdir / "runtime"))
        self.log = open(workdir / "jupyter.log", "wb")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        env=env, start_new_session=True)
        self.log_path = workdir / "jupyter.log"

    def api(self, path: str):
        with urllib.request.urlopen(f"{self.url}{path}?token={self.token}", timeout=5) as reply:
            return json.load(reply)

    def wait_until_up(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{self.log_text()}")
            try:
                self.api("/api/status")
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{self.log_text()}")

    def kernels_idle(self) -> bool:
        try:
            kernels = self.api("/api/kernels")
        except OSError:  # a busy server may miss one poll; the callers poll again
            return False
        return bool(kernels) and all(k["execution_state"] == "idle" for k in kernels)

    def shut_down_kernels(self) -> None:
        """End every session (and its kernel), so notebooks tested later run alone."""
        for session in self.api("/api/sessions"):
            request = urllib.request.Request(
                f"{self.url}/api/sessions/{session['id']}?token={self.token}", method="DELETE")
            urllib.request.urlopen(request, timeout=10).close()

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server and its kernels
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    _require_browser()
    server = Lab(tmp_path_factory.mktemp("lab"))
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=_chromium(), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--no-first-run"])
        try:
            yield chromium
        finally:
            chromium.close()


class Notebook:
    """One notebook open in JupyterLab, with the page's JavaScript errors collected."""

    def __init__(self, lab: Lab, browser, name: str):
        self.lab, self.name = lab, name
        self.page = browser.new_page(viewport={"width": 1500, "height": 1000})
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.on("console", self._on_console)
        # The lecture-hall case: nothing outside this machine loads (the Colab badge's image,
        # for one); such requests fail at once instead of waiting for DNS.
        self.page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())

    def open(self) -> None:
        self.page.goto(f"{self.lab.url}/lab/tree/{self.name}?token={self.lab.token}&reset")
        self.page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if message.text.startswith("Failed to load resource") and not url.startswith(self.lab.url):
            return  # an outside resource, blocked above: offline is a supported way to work
        self.errors.append(f"console: {message.text} ({url})")

    def run_all(self, timeout: float = 180) -> float:
        """Run every cell from the Run menu, as a person would; wait until all ran."""
        page = self.page
        self.wait_for_kernel(timeout)
        # The saved outputs first go (Edit menu), so every prompt and widget seen afterwards
        # comes from this run and not from the committed notebook.
        self.menu("Edit", "Clear Outputs of All Cells")
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt")
        _wait_until(lambda: not any(re.search(r"\d", p) for p in prompts.all_inner_texts()),
                    f"{self.name}: the saved outputs were not cleared")
        started = time.monotonic()
        self.menu("Run", "Run All Cells")
        deadline = time.monotonic() + timeout
        quiet_since = stalled_since = None
        while time.monotonic() < deadline:
            # Cells with collapsed code (checks, solutions) show no prompt: only the others count.
            prompts = [p.strip() for p in page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
                       if p.strip()]
            done = prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts)
            idle = self.lab.kernels_idle()
            if done and idle:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 1.5:  # idle, and it stays idle
                    return time.monotonic() - started
            else:
                quiet_since = None
            # An error stops Run All: the kernel idles with cells left unrun. Say so at once.
            if idle and not done and "[*]:" not in prompts and any(re.search(r"\d", p) for p in prompts):
                stalled_since = stalled_since or time.monotonic()
                if time.monotonic() - stalled_since > 5:
                    errors = page.locator(".jp-OutputArea-output[data-mime-type="
                                          "'application/vnd.jupyter.stderr']").all_inner_texts()
                    raise AssertionError(f"{self.name}: Run All stopped with cells unrun; "
                                         f"last error output: {errors[-1][-800:] if errors else 'none'}")
            else:
                stalled_since = None
            time.sleep(0.3)
        pending = [p for p in page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
                   if not re.fullmatch(r"\[\d+\]:", p.strip())]
        raise AssertionError(f"{self.name}: cells still not run after {timeout} s: {pending[:5]}")

    def menu(self, menu: str, item: str) -> None:
        """Open ``menu`` in JupyterLab's menu bar and click ``item``."""
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{menu}$")).click()
        self.page.get_by_role("menuitem", name=item, exact=True).click()

    def wait_for_kernel(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.lab.kernels_idle():
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"{self.name}: no idle kernel after {timeout} s")

    def assert_widgets_rendered(self, expected_views: int) -> None:
        views = self.page.locator(".jp-OutputArea-output .jupyter-widgets.widget-container, "
                                  ".jp-OutputArea-output .widget-box")
        assert views.count() >= expected_views, \
            f"{self.name}: {views.count()} widget views rendered, expected {expected_views}"
        text = self.page.locator(".jp-Notebook").inner_text()
        trouble = [t for t in WIDGET_TROUBLE if t in text]
        assert not trouble, f"{self.name}: the page shows {trouble}"
        assert not self.errors, f"{self.name}: JavaScript errors: {self.errors[:5]}"

    def screenshot(self, locator=None, part: str = "") -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if locator is not None:
            locator.scroll_into_view_if_needed()
        path = ARTIFACTS / f"{Path(self.name).stem}{'_' + part if part else ''}.png"
        self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        self.page.close()
        self.lab.shut_down_kernels()


def _slider_in(scope, page, label: str):
    return scope.locator(".widget-slider").filter(
        has=page.locator(".widget-label", has_text=re.compile(rf"^{re.escape(label)}$")))


def _number(text: str) -> float:
    """A slider readout as a number (ipywidgets writes minus as U+2212)."""
    return float(text.strip().replace("\u2212", "-"))


def _press_until(page, slider, target: str, limit: int = 30) -> None:
    """Focus the slider's handle and press the arrow keys until its readout shows ``target``."""
    readout = slider.locator(".widget-readout")
    handle = slider.locator(".noUi-handle")
    handle.click()
    for _ in range(limit):
        now = readout.inner_text().strip()
        if now == target:
            return
        handle.press("ArrowRight" if _number(now) < _number(target) else "ArrowLeft")
        page.wait_for_timeout(60)
    raise AssertionError(f"the slider never showed {target}; it shows {readout.inner_text()}")


def _type_in_readout(page, slider, value: str) -> None:
    """Click the slider's readout, replace its text with ``value`` and press Enter."""
    readout = slider.locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def _wait_for_text(locator, pattern: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = locator.inner_text()
        if re.search(pattern, text):
            return text
        time.sleep(0.1)
    raise AssertionError(f"expected {pattern!r} on screen, saw {text!r}")


def _wait_until(condition, message: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(message)


def _image_bytes(locator) -> bytes:
    return locator.screenshot()


def interact_cost_ratio(nb: Notebook) -> None:
    """Notebook 03: type Dk = 5, key N up to 128; then N = 64, Dk = 3 must read 0.1267."""
    page = nb.page
    explorer = page.locator(".jp-OutputArea-output .widget-vbox").filter(
        has=page.locator(".widget-label", has_text="N (out channels)")).first
    explorer.scroll_into_view_if_needed()
    dk = _slider_in(explorer, page, "Dk (kernel)")
    n = _slider_in(explorer, page, "N (out channels)")
    ratio = explorer.locator(".widget-html", has_text="separable / standard =").first
    figure = explorer.locator(".widget-image").last

    _type_in_readout(page, dk, "5")
    _press_until(page, n, "128")
    _wait_for_text(ratio, r"= 0\.0478 = 1/128 \+ 1/25")  # 1/128 + 1/25 = 0.0478
    before = _image_bytes(figure)

    _press_until(page, n, "64")
    _type_in_readout(page, dk, "3")
    text = _wait_for_text(ratio, r"= 0\.1267 = 1/64 \+ 1/9")
    assert "exactly 73/576" in text  # 1/64 + 1/9 = 73/576 = 0.12673...
    page.wait_for_timeout(300)
    assert _image_bytes(figure) != before, "the cost figure did not change with Dk and N"
    nb.screenshot(explorer)


def interact_depthwise(nb: Notebook) -> None:
    """Notebook 01: pick another kernel for channel R and another kernel size."""
    page = nb.page
    explorer = page.locator(".jp-OutputArea-output .widget-vbox").filter(
        has=page.locator(".widget-toggle-buttons", has_text="kernel size")).first
    explorer.scroll_into_view_if_needed()
    menu = explorer.locator("select").first
    first_map = explorer.locator(".widget-image").nth(2)  # channel, kernel, map of row R
    caption = explorer.locator(".widget-html", has_text="\u22c6").first
    options = menu.locator("option").all_inner_texts()
    current = menu.input_value()
    choice = next(o for o in options if o != current)
    before = _image_bytes(first_map)
    menu.select_option(label=choice)
    _wait_for_text(caption, re.escape(choice))
    page.wait_for_timeout(300)
    assert _image_bytes(first_map) != before, "the depthwise map did not change with the kernel"

    size_before = _image_bytes(first_map)
    buttons = explorer.locator(".widget-toggle-buttons button")
    pressed = explorer.locator(".widget-toggle-buttons button.mod-active").inner_text()
    other = next(b for b in buttons.all_inner_texts() if b != pressed)
    explorer.locator(".widget-toggle-buttons button", has_text=re.compile(rf"^{other}$")).click()
    page.wait_for_timeout(500)
    assert _image_bytes(first_map) != size_before, "the map did not change with the kernel size"
    nb.screenshot(explorer)


def _explorer_titled(page, title: str):
    """The outermost widget box whose HTML shows ``title``, scrolled into view."""
    box = page.locator(".jp-OutputArea-output .widget-vbox").filter(
        has=page.locator(".widget-html", has_text=title)).first
    box.scroll_into_view_if_needed()
    return box


def _counter_position(counter) -> int:
    return int(re.search(r"is number (\d+) of", counter.inner_text()).group(1))


def interact_tracer(nb: Notebook) -> None:
    """Notebook 01's tracer: move the position with the keyboard, press play, then stride 2."""
    page = nb.page
    tracer = _explorer_titled(page, "Depthwise step, one output value at a time")
    counter = tracer.locator(".widget-html", has_text="is number").first
    _press_until(page, _slider_in(tracer, page, "row"), "6")
    _press_until(page, _slider_in(tracer, page, "column"), "5")
    _wait_for_text(counter, r"position \(6, 5\) is number 90 of 224")  # 6 * 14 + 5 + 1
    with torch.no_grad():  # the value worked out here, by PyTorch, from the same image and kernels
        expected = F.conv2d(tracer_image()[None], depthwise_weight(EXAMPLE_KERNELS, 3), groups=3)[0, :, 6, 5]
    sums = tracer.locator(".widget-html", has_text="\u03a3 =")
    for c in range(3):
        _wait_for_text(sums.nth(c), re.escape(f"\u03a3 = {expected[c]:.3f}".replace("-", "\u2212")))
    nb.screenshot(tracer, "tracer")

    output_map = tracer.locator(".widget-image").nth(1)  # channel R: input, then its output map
    before = _image_bytes(output_map)
    play = tracer.locator(".widget-play button").first
    play.click()                                          # play
    _wait_until(lambda: _counter_position(counter) > 95, "pressing play did not move the window", timeout=15)
    play.click()                                          # the same button pauses
    page.wait_for_timeout(600)
    paused_at = _counter_position(counter)
    page.wait_for_timeout(600)
    assert _counter_position(counter) == paused_at > 95, "the sweep did not pause where it was"
    assert _image_bytes(output_map) != before, "the output map did not fill in during the sweep"
    nb.screenshot(tracer, "tracer_sweep")

    tracer.locator(".widget-toggle-buttons button", has_text=re.compile(r"^2$")).click()
    _wait_for_text(counter, r"Output map 8 x 7 \(stride 2, padding 0\)")  # (18 - 3) // 2 + 1, (16 - 3) // 2 + 1


def interact_groups(nb: Notebook) -> None:
    """Notebook 01's groups slider: key groups up to 8, then tick the pointwise step."""
    page = nb.page
    explorer = _explorer_titled(page, "From standard to depthwise: one conv")
    text = explorer.locator(".widget-html", has_text="weight shape").first
    _wait_for_text(text, re.escape("(8, 8, 3, 3)"))
    _press_until(page, _slider_in(explorer, page, "groups"), "8")
    _wait_for_text(text, re.escape("= (8, 1, 3, 3)"))
    assert "each output sees 1 of the 8 inputs" in text.inner_text()
    assert "the depthwise step" in text.inner_text()
    explorer.locator(".widget-checkbox input").click()
    _wait_for_text(explorer, "every output sees every input again")
    nb.screenshot(explorer, "groups")


def interact_notebook_01(nb: Notebook) -> None:
    interact_depthwise(nb)
    interact_tracer(nb)
    interact_groups(nb)


def interact_separable_tracer(nb: Notebook) -> None:
    """Notebook 02's tracer: pick output 2 and another column; the pointwise sum equals the
    standard conv's value on screen, and both change."""
    page = nb.page
    tracer = _explorer_titled(page, "through both steps")
    total = tracer.locator(".widget-html", has_text="the standard conv gets").first

    def shown() -> tuple[str, str]:
        match = re.search(r"\u03a3 = (\S+); the standard conv gets (\S+) from 27 products", total.inner_text())
        assert match, f"no pointwise sum on screen: {total.inner_text()!r}"
        return match.groups()

    before = shown()
    tracer.locator(".widget-toggle-buttons button", has_text=re.compile(r"^2$")).click()
    _wait_for_text(total, r"output 2 = P\[2, :\]")
    _press_until(page, _slider_in(tracer, page, "column"), "3")
    page.wait_for_timeout(300)
    pointwise_sum, standard_value = shown()
    assert pointwise_sum == standard_value, "the separable and the standard value differ on screen"
    assert (pointwise_sum, standard_value) != before, "the traced value did not follow the controls"
    _wait_for_text(tracer, r"= 4/9 = 1/N \+ 1/Dk² = 1/3 \+ 1/9")
    nb.screenshot(tracer, "tracer")


def interact_notebook_02(nb: Notebook) -> None:
    interact_pointwise(nb)
    interact_separable_tracer(nb)


def interact_pointwise(nb: Notebook) -> None:
    """Notebook 02: press "identity", then drag one weight with the mouse."""
    page = nb.page
    explorer = page.locator(".jp-OutputArea-output .widget-vbox").filter(
        has=page.locator("button", has_text="identity")).first
    explorer.scroll_into_view_if_needed()
    explorer.locator("button", has_text="identity").click()
    readouts = explorer.locator(".widget-slider .widget-readout")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        values = [_number(v) for v in readouts.all_inner_texts()]
        side = round(len(values) ** 0.5)
        if side >= 2 and values == [1.0 if r == c else 0.0 for r in range(side) for c in range(side)]:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"'identity' did not set the weights to the identity: {values}")

    output = explorer.locator(".widget-image").last  # the last output map
    before = _image_bytes(output)
    slider = explorer.locator(".widget-slider").last  # a weight of that output
    handle = slider.locator(".noUi-handle")
    box = slider.locator(".noUi-target").bounding_box()
    handle.hover()
    page.mouse.down()
    page.mouse.move(box["x"] + 0.1 * box["width"], box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    value = _number(slider.locator(".widget-readout").inner_text())
    assert value < 0, f"dragging the weight to the left should make it negative, it shows {value}"
    page.wait_for_timeout(300)
    assert _image_bytes(output) != before, "the output map did not change with its weight"
    nb.screenshot(explorer)


def interact_speed(nb: Notebook) -> None:
    """Notebook 05: move N with the keyboard; the measured table is redone for the new layer."""
    page = nb.page
    explorer = page.locator(".jp-OutputArea-output .widget-vbox").filter(
        has=page.locator(".widget-label", has_text="N (out channels)")).first
    explorer.scroll_into_view_if_needed()
    n = _slider_in(explorer, page, "N (out channels)")
    _press_until(page, n, "256")
    ratios = explorer.locator(".widget-html", has_text="1/256").first
    _wait_for_text(ratios, r"1/256 \+ 1/9", timeout=30)
    nb.screenshot(explorer)


def interact_budget(nb: Notebook) -> None:
    """Notebook 06: key the budget down until no separable model fits, then switch to mult-adds."""
    page = nb.page
    explorer = page.locator(".jp-OutputArea-output .widget-vbox").filter(
        has=page.locator(".widget-toggle-buttons", has_text="budget in")).first
    explorer.scroll_into_view_if_needed()
    table = explorer.locator(".widget-html", has_text="best within budget").first
    figure = explorer.locator(".widget-image").last
    _wait_for_text(table, r"separable.*width 1\b")
    before = _image_bytes(figure)

    def visible_slider():
        return next(s for s in _slider_in(explorer, page, "budget").all() if s.is_visible())
    slider = visible_slider()
    slider.locator(".noUi-handle").click()
    for _ in range(30):
        if "no trained width fits" in table.inner_text():
            break
        slider.locator(".noUi-handle").press("ArrowLeft")
        page.wait_for_timeout(80)
    _wait_for_text(table, "no trained width fits this budget")
    page.wait_for_timeout(300)
    assert _image_bytes(figure) != before, "the budget figure did not follow the slider"

    explorer.locator(".widget-toggle-buttons button", has_text="mult-adds").click()
    _wait_until(lambda: visible_slider().locator(".widget-readout").inner_text().strip().endswith("M"),
                "switching to mult-adds did not show a slider of mult-adds")
    nb.screenshot(explorer)


INTERACTIONS = {
    "01_depthwise_step.ipynb": (3, interact_notebook_01),
    "02_pointwise_step.ipynb": (2, interact_notebook_02),
    "03_cost_ratio.ipynb": (1, interact_cost_ratio),
    "05_flops_vs_speed.ipynb": (1, interact_speed),
    "06_equal_budgets.ipynb": (1, interact_budget),
}


# Widgets a person moves; tqdm's progress bars (also widgets) are left to nbval.
CONTROL_MODELS = ("SliderModel", "DropdownModel", "ButtonModel", "ToggleButtonsModel",
                  "TextModel", "CheckboxModel")


def _has_controls(path: Path) -> bool:
    metadata = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    state = metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return any(model.get("model_name", "").endswith(CONTROL_MODELS)
               for model in state.get("state", {}).values())


def test_every_notebook_with_widgets_is_covered():
    with_controls = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb") if _has_controls(p))
    assert with_controls == sorted(INTERACTIONS), \
        "every notebook with sliders, menus or buttons needs a browser interaction in INTERACTIONS"


@pytest.mark.parametrize("name", sorted(INTERACTIONS))
def test_widgets_work_in_jupyterlab(lab, browser, name):
    expected_views, interact = INTERACTIONS[name]
    nb = Notebook(lab, browser, name)
    try:
        nb.open()
        nb.run_all()
        nb.assert_widgets_rendered(expected_views)
        interact(nb)
        assert not nb.errors, f"{name}: JavaScript errors: {nb.errors[:5]}"
    except BaseException:
        nb.screenshot()  # what the page looked like when it failed
        raise
    finally:
        nb.close()
