"""A small Chrome DevTools protocol client: start headless Chromium, drive one page, record.

Enough for the GraphiQL test: open a page, evaluate JavaScript in it, and record every network
request the page makes (URLs from `Network.requestWillBeSent` and `Network.webSocketCreated`)
every uncaught exception and every error the browser logs (a blocked request, a policy
violation). Chromium runs with a fresh profile and with its own background
networking switched off, so the only traffic is what the page asks for.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    "--window-size=1400,900",
)


class DevToolsError(RuntimeError):
    """Chromium did not start, a command failed, or a wait ran out of time."""


@dataclass(frozen=True)
class LogEntry:
    source: str  # "network", "security" (a policy violation), "javascript", ...
    text: str
    url: str


@dataclass
class Page:
    """One browser tab, attached through a flat session of the browser connection."""

    browser: Browser
    session_id: str
    requests: list[str] = field(default_factory=list)
    responses: list[tuple[str, str]] = field(default_factory=list)  # (resource type, URL)
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[LogEntry] = field(default_factory=list)
    frames: list[tuple[str, str]] = field(
        default_factory=list
    )  # WebSocket ("sent"|"received", text)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        return await self.browser.send(method, params, session_id=self.session_id)

    async def evaluate(self, expression: str) -> Any:
        reply = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in reply:
            raise DevToolsError(f"{expression!r} threw {reply['exceptionDetails']}")
        return reply["result"].get("value")

    async def wait_for(self, expression: str, *, timeout: float = 30.0) -> Any:
        """Poll `expression` until it is truthy; its value, or DevToolsError after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise DevToolsError(f"waited {timeout} s for {expression!r}; last value {value!r}")
            await asyncio.sleep(0.1)

    async def wait_until(self, condition: Callable[[], bool], *, timeout: float = 30.0) -> None:
        """Wait until `condition` (over what was recorded) holds, or DevToolsError."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise DevToolsError(f"waited {timeout} s for a condition on recorded events")
            await asyncio.sleep(0.1)

    async def screenshot(self, path: Path) -> None:
        import base64

        reply = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(reply["data"]))

    def on_event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Network.responseReceived":
            self.responses.append((params.get("type", ""), params["response"]["url"]))
        elif method == "Network.webSocketCreated":
            self.requests.append(params["url"])
        elif method in ("Network.webSocketFrameSent", "Network.webSocketFrameReceived"):
            way = "sent" if method.endswith("Sent") else "received"
            self.frames.append((way, params["response"].get("payloadData", "")))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            self.log_errors.append(LogEntry(entry["source"], entry["text"], entry.get("url", "")))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.exceptions.append(details.get("exception", {}).get("description") or str(details))


class Browser:
    """A connection to Chromium's browser endpoint; replies and events are routed by a reader."""

    def __init__(self, connection: websockets.ClientConnection) -> None:
        self._connection = connection
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._pages: dict[str, Page] = {}
        self._reader = asyncio.create_task(self._read())

    async def send(
        self, method: str, params: dict[str, Any] | None = None, *, session_id: str | None = None
    ) -> dict[str, Any]:
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await self._connection.send(json.dumps(message))
        return await asyncio.wait_for(future, timeout=60)

    async def new_page(self) -> Page:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        page = Page(self, attached["sessionId"])
        self._pages[page.session_id] = page
        for domain in ("Network", "Page", "Runtime", "Log"):
            await page.send(f"{domain}.enable")
        return page

    async def _read(self) -> None:
        async for raw in self._connection:
            message = json.loads(raw)
            if "id" in message:
                future = self._pending.pop(message["id"], None)
                if future is None or future.done():
                    continue
                if "error" in message:
                    future.set_exception(DevToolsError(f"{message['error']}"))
                else:
                    future.set_result(message.get("result", {}))
            elif (page := self._pages.get(message.get("sessionId", ""))) is not None:
                page.on_event(message["method"], message.get("params", {}))

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._connection.close()


@contextlib.asynccontextmanager
async def launch(chromium: str, profile_dir: Path) -> AsyncIterator[Browser]:
    """Start headless Chromium with a fresh profile in `profile_dir`; stop it on exit."""
    profile_dir.mkdir(parents=True, exist_ok=True)
    log_path = profile_dir.parent / "chromium.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = await _devtools_url(process, profile_dir / "DevToolsActivePort", log_path)
        async with websockets.connect(url, max_size=None) as connection:
            browser = Browser(connection)
            try:
                yield browser
            finally:
                await browser.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


async def _devtools_url(process: subprocess.Popen[bytes], port_file: Path, log: Path) -> str:
    """Chromium writes its DevTools port and browser path to `DevToolsActivePort` when ready."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        lines = port_file.read_text().split() if port_file.exists() else []
        if len(lines) == 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        await asyncio.sleep(0.05)
    tail = log.read_text(errors="replace").splitlines()[-10:]
    raise DevToolsError(f"Chromium (exit {process.poll()}) opened no DevTools port: {tail}")
