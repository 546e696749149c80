"""A small Chrome DevTools Protocol client: headless Chromium driven over its debugging socket.

Only what the UI test needs (open a page, wait for text, read the DOM, take a screenshot),
over `websockets` (already in the lock), so no browser driver has to be installed.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from websockets.sync.client import connect


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    def __init__(self, executable: str, profile: Path, width: int = 1600, height: int = 1000):
        self.port = free_port()
        self.process = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--no-first-run", "--no-default-browser-check", f"--user-data-dir={profile}",
             f"--window-size={width},{height}", f"--remote-debugging-port={self.port}",
             "--remote-debugging-address=127.0.0.1", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self._ids = itertools.count(1)
        self._stack = contextlib.ExitStack()
        self._socket = self._stack.enter_context(
            connect(self._page_socket(), max_size=64 * 1024 * 1024, open_timeout=30)
        )
        self.send("Page.enable")
        self.send("Runtime.enable")

    def _page_socket(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=5) as answer:
                    pages = [t for t in json.load(answer) if t.get("type") == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("problem: headless Chromium did not open its debugging port")
            time.sleep(0.3)

    def send(self, method: str, **params):
        message_id = next(self._ids)
        self._socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=120))
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"problem: {method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"problem: {expression[:80]}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def open(self, url: str) -> None:
        self.send("Page.navigate", url=url)

    def text(self) -> str:
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def wait_for_text(self, *needles: str, timeout: float = 120) -> str:
        """The page's text once every needle is in it (the UI renders after its GraphQL answers)."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            missing = [n for n in needles if n not in text]
            if not missing:
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"not on the page after {timeout:.0f} s: {missing}; the page says: {text[:1500]!r}")
            time.sleep(0.5)

    def wait_until(self, expression: str, timeout: float = 60):
        """The value of a JavaScript expression once it is truthy."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.5)

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            self._stack.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
