"""Bounds on what reaches the demo's upload folder: bytes per upload request and per client over a window. Gradio
bounds each file (``max_file_size``) but not how many arrive in one request or from one client, so one request
could write gigabytes to disk in seconds. This ASGI middleware refuses such uploads by their declared length before
a byte is read (413 for one request, 429 for a client over its budget) and stops a body without a declared length
once it passes the limit."""

from __future__ import annotations

import time
from collections import defaultdict, deque

MAX_UPLOAD_REQUEST_BYTES = 64 * 2**20  # one upload request: a few photos
MAX_CLIENT_BYTES = 256 * 2**20  # one client (address) within CLIENT_WINDOW_S
CLIENT_WINDOW_S = 600.0
UPLOAD_PATH_SUFFIX = "/upload"


class UploadBudget:
    """ASGI middleware for Gradio's upload route (``.../upload``); everything else passes through untouched."""

    def __init__(self, app, per_request: int = MAX_UPLOAD_REQUEST_BYTES, per_client: int = MAX_CLIENT_BYTES,
                 window_s: float = CLIENT_WINDOW_S) -> None:
        self.app, self.per_request, self.per_client, self.window_s = app, per_request, per_client, window_s
        self._spent: dict[str, deque] = defaultdict(deque)  # client -> (time, bytes) of its recent uploads

    def spent(self, client: str) -> int:
        """Bytes ``client`` uploaded within the window."""
        history, cutoff = self._spent[client], time.monotonic() - self.window_s
        while history and history[0][0] < cutoff:
            history.popleft()
        if not history:
            del self._spent[client]
            return 0
        return sum(size for _, size in history)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST" or not scope["path"].endswith(UPLOAD_PATH_SUFFIX):
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("unknown",))[0]
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        size = int(declared) if declared.isdigit() else None
        if size is not None and size > self.per_request:
            return await _refuse(send, 413, f"an upload of {size / 2**20:.0f} MB is over the "
                                            f"{self.per_request // 2**20} MB one request may send; upload fewer "
                                            "photos at a time")
        if self.spent(client) + (size or 0) > self.per_client:
            return await _refuse(send, 429, f"this address uploaded over {self.per_client // 2**20} MB in the last "
                                            f"{self.window_s / 60:.0f} minutes; try again later")
        received = 0

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.per_request:  # no declared length: stop reading; the app sees a disconnect
                    return {"type": "http.disconnect"}
            return message

        try:
            await self.app(scope, counted_receive, send)
        finally:
            self._spent[client].append((time.monotonic(), received))


async def _refuse(send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
