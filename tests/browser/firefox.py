"""Debian's Firefox ESR, headless, driven over WebDriver BiDi.

Playwright cannot drive it: Playwright's Firefox is its own patched build (the Juggler protocol,
`-juggler-pipe`), which a stock Firefox does not understand: it exits at once, and Playwright's
own build cannot be downloaded here. Selenium would need geckodriver, which no Debian or PyPI
package we can trust ships. Firefox itself, though, speaks WebDriver BiDi (the W3C protocol that
Puppeteer and Selenium use) when started with `--remote-debugging-port`: a WebSocket on the
loopback, announced in the profile's WebDriverBiDiServer.json. This module is a small client for
it over the `websockets` library's synchronous client: a fresh user context (an isolated cookie
jar and localStorage, like a new Playwright context) per tab, navigation, scripts, real pointer
clicks, screenshots, and every JavaScript error, console.error and failed request the page causes,
collected from the browser's own events.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

NAMES = ("firefox-esr", "firefox")

# Quiet, offline and reproducible: no first-run pages, updates, telemetry, remote settings or
# safe-browsing lists (no internet here, and nothing should leave the machine anyway).
PREFS: dict[str, Any] = {
    "app.normandy.enabled": False,
    "app.update.disabledForTesting": True,
    "browser.aboutwelcome.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.search.update": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.tabs.warnOnClose": False,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "extensions.blocklist.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.update.enabled": False,
    "layout.css.devPixelsPerPx": "1.0",
    "messaging-system.rsexperimentloader.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.proxy.type": 0,
    "services.settings.server": "data:,#remote-settings-dummy/v1",
    "toolkit.telemetry.reportingpolicy.firstRun": False,
}


def find_firefox() -> str | None:
    """$IOC_FIREFOX (as given: a wrong one fails rather than skips), else firefox-esr or firefox
    on the PATH (Debian's firefox-esr package installs both names)."""
    asked = os.environ.get("IOC_FIREFOX")
    if asked:
        return asked
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class BiDiError(RuntimeError):
    pass


class Firefox:
    """One headless Firefox with its own throw-away profile and HOME; `tab()` opens a fresh,
    isolated tab. Everything runs on the loopback."""

    def __init__(self, binary: str, workdir: Path, timeout_s: float = 60) -> None:
        self.binary = binary
        self.workdir = workdir
        self.timeout_s = timeout_s
        self.profile = workdir / "profile"
        self.log = workdir / "firefox.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.ws: ClientConnection | None = None
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.version = ""

    # -- the process and the session --------------------------------------------------------
    def start(self) -> None:
        self.profile.mkdir(parents=True, exist_ok=True)
        (self.workdir / "home").mkdir(exist_ok=True)
        (self.profile / "user.js").write_text("".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n"
                                                      for k, v in PREFS.items()))
        env = {**os.environ, "HOME": str(self.workdir / "home"), "MOZ_HEADLESS": "1",
               "MOZ_CRASHREPORTER_DISABLE": "1", "XDG_RUNTIME_DIR": str(self.workdir / "home")}
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        announce = self.profile / "WebDriverBiDiServer.json"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "--headless", "--no-remote", "--profile", str(self.profile),
                 "--remote-debugging-port=0", "about:blank"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True)
        deadline = time.monotonic() + self.timeout_s
        while True:
            if self.proc.poll() is not None:
                raise BiDiError(f"{self.binary} exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                where = json.loads(announce.read_text())
                break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                self.close()
                raise BiDiError(f"{self.binary} did not open WebDriver BiDi: {self.log_tail()}")
            time.sleep(0.1)
        # max_size None: a screenshot's answer is megabytes; the default cap is 1 MiB
        self.ws = connect(f"ws://{where['ws_host']}:{where['ws_port']}/session", open_timeout=self.timeout_s,
                          max_size=None, ping_interval=None)
        caps = self.command("session.new", {"capabilities": {}})
        self.version = f"{caps['capabilities']['browserName']} {caps['capabilities']['browserVersion']}"
        self.command(
            "session.subscribe",
            {
                "events": [
                    "log.entryAdded",
                    "network.beforeRequestSent",
                    "network.responseCompleted",
                    "network.fetchError",
                ]
            },
        )

    def log_tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""

    def close(self) -> None:
        if self.ws is not None:
            try:
                self.command("browser.close", {}, timeout_s=10)
            except (BiDiError, OSError, ConnectionClosed):
                pass
            self.ws.close()
            self.ws = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            try:  # whatever is left of its process group (content processes)
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None

    def command(self, method: str, params: dict[str, Any], timeout_s: float | None = None) -> Any:
        assert self.ws is not None, "Firefox is not started"
        self.next_id += 1
        mine = self.next_id
        self.ws.send(json.dumps({"id": mine, "method": method, "params": params}))
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BiDiError(f"no answer to {method} in time")
            try:
                msg = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                raise BiDiError(f"no answer to {method} in time") from None
            except ConnectionClosed:
                raise BiDiError(f"Firefox closed the WebSocket before answering {method}") from None
            if msg.get("type") == "event":
                self.events.append(msg)
            elif msg.get("id") == mine:
                if msg.get("type") == "error":
                    raise BiDiError(f"{method}: {msg.get('error')}: {msg.get('message')}")
                return msg["result"]

    def tab(self, base_url: str, width: int, height: int) -> Tab:
        """A new tab in a new user context: nothing remembered from any other tab."""
        user = self.command("browser.createUserContext", {})["userContext"]
        context = self.command("browsingContext.create", {"type": "tab", "userContext": user})["context"]
        tab = Tab(self, context, user, base_url)
        tab.set_viewport(width, height)
        return tab


class Tab:
    """One browsing context. Scripts are given as JavaScript function sources and their results
    come back through JSON; waits poll every 100 ms."""

    def __init__(self, browser: Firefox, context: str, user_context: str, base_url: str) -> None:
        self.browser = browser
        self.context = context
        self.user_context = user_context
        self.base_url = base_url.rstrip("/")
        self.first_event = len(browser.events)

    def close(self) -> None:
        self.browser.command("browsingContext.close", {"context": self.context})
        self.browser.command("browser.removeUserContext", {"userContext": self.user_context})

    def _mine(self, method: str) -> list[dict[str, Any]]:
        out = []
        for e in self.browser.events[self.first_event :]:
            p = e["params"]
            ctx = p.get("source", {}).get("context") if method == "log.entryAdded" else p.get("context")
            if e["method"] == method and ctx == self.context:
                out.append(p)
        return out

    # -- what the page did ------------------------------------------------------------------
    def errors(self) -> list[str]:
        """JavaScript errors, console.error calls, HTTP errors and failed requests of this tab."""
        self.evaluate("() => 0")  # takes in the events Firefox sent meanwhile
        out = [
            f"{e['type']} {e['level']}: {e.get('text')}"
            for e in self._mine("log.entryAdded")
            if e["level"] == "error"
        ]
        out += [
            f"HTTP {e['response']['status']} {e['request']['url']}"
            for e in self._mine("network.responseCompleted")
            if e["response"]["status"] >= 400
        ]
        # an open EventSource is aborted when the page goes away: not the page's fault
        out += [
            f"request failed: {e['errorText']} {e['request']['url']}"
            for e in self._mine("network.fetchError")
            if "ABORTED" not in e["errorText"]
        ]
        return out

    def requests(self) -> list[str]:
        self.evaluate("() => 0")
        return [e["request"]["url"] for e in self._mine("network.beforeRequestSent")]

    # -- doing things -----------------------------------------------------------------------
    def set_viewport(self, width: int, height: int) -> None:
        self.browser.command(
            "browsingContext.setViewport",
            {"context": self.context, "viewport": {"width": width, "height": height}},
        )

    def goto(self, path: str) -> None:
        url = path if re.match(r"[a-z][a-z0-9+.-]*:", path) else self.base_url + path
        self.browser.command(
            "browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"}
        )

    def reload(self) -> None:
        self.browser.command("browsingContext.reload", {"context": self.context, "wait": "complete"})

    def evaluate(self, function: str, *args: Any) -> Any:
        """The value of `(function)(...args)` (awaited), through JSON."""
        expression = f"(async () => JSON.stringify(await ({function})(...{json.dumps(list(args))})))()"
        answer = self.browser.command(
            "script.evaluate",
            {
                "expression": expression,
                "target": {"context": self.context},
                "awaitPromise": True,
                "resultOwnership": "none",
            },
        )
        if answer["type"] == "exception":
            raise BiDiError(f"script failed: {answer['exceptionDetails'].get('text')}\n{function}")
        result = answer["result"]
        return json.loads(result["value"]) if result["type"] == "string" else None

    def wait_for(self, function: str, *args: Any, timeout_s: float = 30, what: str = "") -> Any:
        """Polls `function` until it returns something truthy, and returns that."""
        deadline = time.monotonic() + timeout_s
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = self.evaluate(function, *args)
            except BiDiError as exc:  # the page is navigating: the old realm is gone
                last = exc
            if last and not isinstance(last, BiDiError):
                return last
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout_s} s waiting for {what or function} (last: {last!r})")

    def wait_selector(self, selector: str, timeout_s: float = 30) -> None:
        self.wait_for("s => !!document.querySelector(s)", selector, timeout_s=timeout_s, what=selector)

    def wait_text(self, selector: str, expected: str, timeout_s: float = 30) -> None:
        self.wait_for(
            "(s, want) => { const e = document.querySelector(s); "
            "return !!e && e.textContent.trim() === want; }",
            selector,
            expected,
            timeout_s=timeout_s,
            what=f"{selector} to read {expected!r}",
        )

    def text(self, selector: str) -> str:
        return str(self.evaluate("s => document.querySelector(s).innerText", selector))

    def click(self, selector: str) -> None:
        """A real mouse click (pointer events from the browser, not el.click()) on the middle of
        the first element matching `selector`; again if the page re-rendered it meanwhile."""
        for attempt in range(5):
            self.wait_selector(selector)
            answer = self.browser.command(
                "script.evaluate",
                {
                    "expression": f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                    "e.scrollIntoView({block: 'center'}); return e; })()",
                    "target": {"context": self.context},
                    "awaitPromise": False,
                    "resultOwnership": "none",
                },
            )
            try:
                if answer["type"] == "exception":
                    raise BiDiError(f"click {selector}: {answer['exceptionDetails'].get('text')}")
                element = {"sharedId": answer["result"]["sharedId"]}
                self.browser.command(
                    "input.performActions",
                    {
                        "context": self.context,
                        "actions": [
                            {
                                "type": "pointer",
                                "id": "mouse",
                                "parameters": {"pointerType": "mouse"},
                                "actions": [
                                    {
                                        "type": "pointerMove",
                                        "x": 0,
                                        "y": 0,
                                        "origin": {"type": "element", "element": element},
                                    },
                                    {"type": "pointerDown", "button": 0},
                                    {"type": "pointerUp", "button": 0},
                                ],
                            }
                        ],
                    },
                )
                self.browser.command("input.releaseActions", {"context": self.context})
                return
            except BiDiError:  # "no such node" / "stale element": rendered anew, find it again
                if attempt == 4:
                    raise
                time.sleep(0.1)

    def type(self, selector: str, text: str) -> None:
        """Click into `selector` and type `text` key by key (real key events, any Unicode)."""
        self.click(selector)
        keys = [{"type": kind, "value": ch} for ch in text for kind in ("keyDown", "keyUp")]
        self.browser.command(
            "input.performActions",
            {"context": self.context, "actions": [{"type": "key", "id": "keyboard", "actions": keys}]},
        )
        self.browser.command("input.releaseActions", {"context": self.context})

    def screenshot(self, path: Path) -> None:
        data = self.browser.command(
            "browsingContext.captureScreenshot", {"context": self.context, "origin": "viewport"}
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))
