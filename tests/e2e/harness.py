"""The e2e harness: Chromium launch, request recording, axe, page weight, screenshots."""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

VENDOR = Path(__file__).parent / "vendor"
SIZES = {"phone": (360, 740), "tablet": (800, 1280), "projector": (1920, 1080)}
# --lang: the browser's own language is French whatever the machine's; each context then sets its locale.
CHROMIUM_ARGS = ["--no-sandbox", "--lang=fr-FR", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
LOCAL_SCHEMES = {"data", "blob", "about"}


@dataclass
class Box:
    """The classbox under test."""

    url: str
    data_dir: Path
    teacher: tuple[str, str]
    admin: tuple[str, str]
    server: Any
    player: Any = None  # the relay the H5P player's site goes through (countproxy.CountingRelay)
    h5p_origin: str = ""  # the H5P player's site: the same box under another name (localhost)

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


# Reports each Content-Security-Policy violation of a box page to the console, where it is recorded.
CSP_WATCH = ("document.addEventListener('securitypolicyviolation', function (e) {"
             " console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile"
             " + ':' + e.lineNumber); });")


class NetworkLog:
    """Every URL the browser asked for (pages, workers, websockets); only the box is allowed.

    Also every Content-Security-Policy violation on a page of the box: none is allowed either.
    """

    def __init__(self, box_url: str, *also: str):
        self.box = urlsplit(box_url)
        self.also = {urlsplit(url).netloc for url in also if url}  # other sites of the same box
        self.urls: list[str] = []
        self.violations: list[str] = []
        self._lock = threading.Lock()

    def console(self, message) -> None:
        if message.text.startswith("CSP violation: "):
            with self._lock:
                self.violations.append(message.text)

    def record(self, url: str) -> None:
        with self._lock:
            self.urls.append(url)

    def foreign(self) -> list[str]:
        """The recorded URLs that point anywhere but the box."""
        bad = []
        for url in list(self.urls):
            parts = urlsplit(url)
            if parts.scheme in LOCAL_SCHEMES:
                continue
            if parts.scheme not in {"http", "https", "ws", "wss"} or parts.netloc not in {self.box.netloc} | self.also:
                bad.append(url)
        return bad

    def assert_only_box(self) -> None:
        bad = self.foreign()
        assert not bad, f"the pages asked for hosts other than the box: {bad[:10]}"
        assert not self.violations, f"the box's own policy blocked something its pages use: {self.violations[:10]}"

    def watch(self, context) -> None:
        """Record the requests of a context, its pages' websockets and its service workers."""
        context.on("request", lambda request: self.record(request.url))
        context.on("page", lambda page: page.on("websocket", lambda ws: self.record(ws.url)))
        context.on("console", self.console)
        context.add_init_script(CSP_WATCH)
        context.on("serviceworker", lambda worker: self.record(worker.url))


def launch_chromium(playwright, executable: str, dead_proxy_port: int):
    """Headless Debian Chromium; anything not on loopback goes to a proxy nobody listens on."""
    return playwright.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS,
        proxy={"server": f"http://127.0.0.1:{dead_proxy_port}", "bypass": "127.0.0.1,localhost"})


def new_context(browser, base_url: str, size: str, language: str, network: NetworkLog, **options):
    """A browser context at a named size, in a language, with its requests recorded."""
    width, height = SIZES[size]
    options.setdefault("service_workers", "allow")
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height},
                                  locale=language, extra_http_headers={"Accept-Language": language},
                                  **options)
    context.set_default_timeout(15_000)
    context.size_name = size
    network.watch(context)
    for page in context.pages:
        page.on("websocket", lambda ws: network.record(ws.url))
    return context


def login(page, credentials: tuple[str, str]) -> None:
    """Log in through the real form."""
    page.goto("/login")
    page.fill("#login", credentials[0])
    page.fill("#password", credentials[1])
    page.click("button[type=submit]")
    page.wait_for_load_state()


_AXE_SOURCE: str | None = None


def run_axe(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA and best-practice violations on the page as it is now."""
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = (VENDOR / "axe.min.js").read_text(encoding="utf-8")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_AXE_SOURCE + "\n;undefined")
    result = page.evaluate(
        "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']}); return r.violations.map(v => ({id: v.id, impact: v.impact,"
        " help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})); }", AXE_TAGS)
    return result


def contrast_problems(page, selector: str) -> list[dict]:
    """axe-core's color-contrast violations and undecided checks of the elements `selector` finds (≥ 1)."""
    assert page.locator(selector).count() > 0, f"nothing matches {selector}"
    run_axe(page)  # loads axe-core once
    return page.evaluate(
        "async (selector) => { const r = await axe.run({include: [[selector]]}, {runOnly: {type: 'rule',"
        " values: ['color-contrast']}, resultTypes: ['violations', 'incomplete']});"
        " return r.violations.concat(r.incomplete).flatMap(v => v.nodes.map(n => ({target: n.target.join(' '),"
        " why: n.failureSummary || (n.any[0] && n.any[0].message)}))); }", selector)


def text_color(page, selector: str) -> str:
    """The computed text colour of the first element `selector` finds, e.g. rgb(255, 255, 255)."""
    return page.eval_on_selector(selector, "el => getComputedStyle(el).color")


def serious(violations: list[dict]) -> list[dict]:
    """The violations an RGAA audit would not let pass."""
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def first_load_weight(context, path: str) -> dict:
    """HTML+CSS+JS of a first visit: bytes as served, and gzip-compressed (level 6, as nginx)."""
    seen: dict[str, Any] = {}

    def keep(response):
        kind = (response.headers.get("content-type") or "").split(";")[0].strip()
        if kind in ("text/html", "text/css", "text/javascript", "application/javascript") and response.ok:
            seen.setdefault(response.url, (kind, response))
    context.on("response", keep)
    page = context.new_page()
    page.goto(path)
    page.wait_for_load_state("networkidle")
    files = []
    for url, (kind, response) in list(seen.items()):
        try:
            body = response.body()
        except Exception:  # a redirect or a worker response without a body here
            continue
        files.append({"url": urlsplit(url).path, "type": kind, "bytes": len(body),
                      "gzip": len(gzip.compress(body, compresslevel=6, mtime=0))})
    page.close()
    return {"path": path, "files": sorted(files, key=lambda f: f["url"]),
            "bytes": sum(f["bytes"] for f in files), "gzip": sum(f["gzip"] for f in files)}


@dataclass
class PagesReport:
    """What the run measured, written as JSON and Markdown next to the screenshots."""

    folder: Path
    axe: dict[str, list[dict]] = field(default_factory=dict)
    weights: dict[str, dict] = field(default_factory=dict)
    screenshots: list[str] = field(default_factory=list)

    def check_accessible(self, page, name: str) -> list[dict]:
        """Run axe, keep the result under `name`, return the serious and critical violations."""
        violations = run_axe(page)
        self.axe[name] = violations
        return serious(violations)

    def screenshot(self, page, screen: str, size: str) -> Path:
        """Save the page as docs/screenshots/<screen>-<size>.png."""
        target = self.folder / "screenshots" / f"{screen}-{size}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), animations="disabled", caret="hide")
        self.screenshots.append(target.name)
        return target

    def merge_parts(self, parts: Path, name: str) -> None:
        """Save this worker's part of the run's report in `parts` as `name`, then take in every
        part saved so far (the last xdist worker to finish writes the whole run's report)."""
        parts.mkdir(parents=True, exist_ok=True)
        own = {"axe": self.axe, "weights": self.weights, "screenshots": self.screenshots}
        (parts / f"{name}.json").write_text(json.dumps(own, ensure_ascii=False))
        for part in sorted(parts.glob("*.json")):
            data = json.loads(part.read_text())
            self.axe.update(data["axe"])
            self.weights.update(data["weights"])
            self.screenshots.extend(data["screenshots"])

    def write(self) -> None:
        """pages-report.json and pages-report.md in the artifacts folder."""
        if not (self.axe or self.weights or self.screenshots):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {"axe": self.axe, "weights": self.weights, "screenshots": sorted(set(self.screenshots))}
        (self.folder / "pages-report.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        lines = ["# Pages report (written by the e2e run: tests/e2e)", "",
                 "## Page weight, first load (HTML + CSS + JS)", "",
                 "| page | files | as served | gzip -6 | budget |", "|---|---|---|---|---|"]
        for name, weight in sorted(self.weights.items()):
            lines.append(f"| {name} (`{weight['path']}`) | {len(weight['files'])} | {weight['bytes'] / 1024:.1f} KB "
                         f"| {weight['gzip'] / 1024:.1f} KB | ≤ 150 KB |")
        lines += ["", "## axe-core 4 (WCAG 2.1 A/AA + best practices)", "",
                  "| page (size) | critical | serious | moderate | minor | moderate and minor rules |",
                  "|---|---|---|---|---|---|"]
        for name, violations in sorted(self.axe.items()):
            count = {level: sum(1 for v in violations if v["impact"] == level)
                     for level in ("serious", "critical", "moderate", "minor")}
            ids = ", ".join(sorted({v["id"] for v in violations if v["impact"] in ("moderate", "minor")}))
            lines.append(f"| {name} | {count['critical']} | {count['serious']} | {count['moderate']} "
                         f"| {count['minor']} | {ids} |")
        (self.folder / "pages-report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
