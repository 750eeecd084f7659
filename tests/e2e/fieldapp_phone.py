"""A volunteer's phone in the browser test of the field app: Debian's chromium at 390x844,
driven by Playwright through its executable path (no browser download), and what the test reads
of it: the IndexedDB, axe-core's verdict, screenshots."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize

E2E = Path(__file__).resolve().parent
AXE = E2E / "node_modules" / "axe-core" / "axe.min.js"
PHONE: ViewportSize = {"width": 390, "height": 844}
PIN = "246810"
#: WCAG 2.1 A and AA, as axe-core tags them
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("Debian's chromium is missing: `apt-get install -y chromium`.")
    return found


def axe_source() -> str:
    """axe-core from npm (tests/e2e/package.json, locked): installed with `npm ci` when absent."""
    if not AXE.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=E2E, check=True)
    return AXE.read_text()


def launch(playwright: Playwright, camera: Path | None = None) -> Browser:
    """Chromium; with ``camera``, its fake camera films that video file (Y4M) and the page may
    use it without asking."""
    args = ["--no-sandbox"]
    if camera is not None:
        args += ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-video-capture={camera}"]  # fmt: skip
    return playwright.chromium.launch(executable_path=chromium_path(), args=args)


def y4m_frame(rows: list[list[int]], path: Path, scale: int = 6) -> None:
    """A one-frame Y4M video (a header, then the Y, U and V planes of 4:2:0) of a QR code's
    modules (1 = dark), black on white with a quiet zone, in a 640x480 picture."""
    width, height = 640, 480
    side = (len(rows) + 8) * scale
    assert side <= height, "the code does not fit the picture"
    left, top = (width - side) // 2, (height - side) // 2
    luma = bytearray(b"\xff" * (width * height))
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (top + (y + 4) * scale + dy) * width + left + (x + 4) * scale
                    luma[start : start + scale] = b"\x00" * scale
    chroma = b"\x80" * (width * height // 4)
    header = f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\nFRAME\n".encode()
    path.write_bytes(header + bytes(luma) + chroma + chroma)


@dataclass
class Phone:
    context: BrowserContext
    page: Page
    app: str

    @classmethod
    def open(cls, browser: Browser, app: str, locale: str = "ru-RU", axe: bool = False) -> Phone:
        # axe-core is injected as an inline script, which the app's CSP rightly refuses
        context = browser.new_context(
            viewport=PHONE, locale=locale, service_workers="allow", bypass_csp=axe
        )
        page = context.new_page()
        return cls(context, page, app)

    def ready(self) -> None:
        self.page.wait_for_selector("body[data-ready=true]")

    def set_up(self, device_key: str, desk: tuple[str, str], counter: tuple[str, str]) -> None:
        self.page.goto(f"{self.app}#device={device_key}")
        self.ready()
        page = self.page
        assert page.input_value("#setup-key") == device_key  # from the QR code's link
        page.fill("#setup-pin", PIN)
        page.fill("#setup-pin2", PIN)
        page.fill("#setup-shelter", desk[0])
        page.fill("#setup-staff", desk[1])
        page.fill("#setup-site", counter[0])
        page.fill("#setup-site-key", counter[1])
        page.click("#setup-form button[type=submit]")
        page.wait_for_selector("#screen-register:not([hidden])")
        # the service worker has the shell before the test takes the network away
        page.wait_for_function("navigator.serviceWorker.controller !== null")

    def unlock_screen_shown(self) -> None:
        self.page.wait_for_selector("#screen-unlock:not([hidden])")
        self.ready()

    def unlock(self) -> None:
        self.unlock_screen_shown()
        self.page.fill("#unlock-pin", PIN)
        self.page.click("#unlock-form button[type=submit]")
        self.page.wait_for_selector("#nav:not([hidden])")

    def go(self, screen: str) -> None:
        self.page.click(f"#nav a[href='#{screen}']")
        self.page.wait_for_selector(f"#screen-{screen}:not([hidden])")

    def register(self, members: list[dict[str, Any]]) -> None:
        """Fill the arrival form with ``members`` and save it."""
        page = self.page
        self.go("register")
        for _ in members[1:]:
            page.click("#add-member")
        boxes = page.locator("#members .member")
        for index, member in enumerate(members):
            box = boxes.nth(index)
            for name in ("given_name", "family_name", "patronymic", "birth_date"):
                if name in member:
                    box.locator(f"[name={name}]").fill(member[name])
            box.locator("[name=sex]").select_option(member["sex"])
            if index:
                box.locator("[name=relation]").select_option(member["relation"])
            if "document" in member:
                box.locator("[name=document_type]").select_option(member["document"][0])
                box.locator("[name=document_number]").fill(member["document"][1])
            for need in member.get("needs", []):
                box.locator(f"[name=needs][value={need}]").check()
            if "walking" in member:
                box.locator("details summary").click()
                box.locator("[data-wg=walking]").select_option(member["walking"])
        page.click("#save-arrival")
        page.wait_for_selector("#message:not([hidden])")

    def statuses(self) -> list[str]:
        self.go("queue")
        script = "items => items.map(item => item.dataset.status)"
        return list(self.page.eval_on_selector_all("#queue-list > li", script))

    def storage(self) -> str:
        """Everything the app keeps in IndexedDB, as JSON text."""
        dumped = self.page.evaluate(
            """async () => {
                const db = await new Promise((ok, ko) => {
                    const r = indexedDB.open("resettle-field"); r.onsuccess = () => ok(r.result);
                    r.onerror = () => ko(r.error); });
                const out = {};
                for (const name of db.objectStoreNames) {
                    out[name] = await new Promise((ok) => {
                        const r = db.transaction(name).objectStore(name).getAll();
                        r.onsuccess = () => ok(r.result); });
                }
                db.close();
                return out;
            }"""
        )
        return json.dumps(dumped, ensure_ascii=False)

    def violations(self, axe: str) -> list[dict[str, Any]]:
        """axe-core's WCAG 2.1 A/AA violations on the screen shown now."""
        self.page.add_script_tag(content=axe)
        found: list[dict[str, Any]] = self.page.evaluate(
            "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
            ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target)}))",
            WCAG,
        )
        return found
