"""Bounds on what reaches the demo's upload folder: bytes and files per upload request and per client over a
window. Gradio bounds each file (``max_file_size``) but not how many arrive in one request or from one client, so
one request could write gigabytes to disk in seconds, or a thousand tiny files (each in a folder of its own). This
ASGI middleware refuses such uploads by their declared length before a byte is read (413 for one request, 429 for
a client over its budget), and stops a body once it passes the byte limit or starts one file too many (its parts
are counted by their multipart boundaries as they arrive)."""

from __future__ import annotations

import time
from collections import defaultdict, deque

MAX_UPLOAD_REQUEST_BYTES = 64 * 2**20  # one upload request: a few photos
MAX_CLIENT_BYTES = 256 * 2**20  # one client (address) within CLIENT_WINDOW_S
MAX_UPLOAD_REQUEST_FILES = 32  # one upload request: a few photos
MAX_CLIENT_FILES = 256  # one client (address) within CLIENT_WINDOW_S
CLIENT_WINDOW_S = 600.0
UPLOAD_PATH_SUFFIX = "/upload"


class PartCounter:
    """Counts the parts of a multipart body from its chunks as they arrive (a boundary split between two chunks
    too), and cuts the body short where a part past a limit would begin."""

    def __init__(self, content_type: bytes) -> None:
        _, _, boundary = content_type.partition(b"boundary=")
        self.marker = b"--" + boundary.split(b";")[0].strip(b'" ') if boundary else None
        self.seen, self.cut, self._tail = 0, False, b""

    @property
    def parts(self) -> int:
        return max(0, self.seen - 1)  # the last boundary closes the body

    def feed(self, chunk: bytes, limit: int | None = None) -> bytes:
        """``chunk``, or the part of it before the boundary that would start part ``limit + 1`` (then
        :attr:`cut` is set and nothing more is to be read)."""
        if self.marker is None:
            return chunk
        block, start = self._tail + chunk, 0
        while (found := block.find(self.marker, start)) >= 0:
            if limit is not None and self.seen == limit + 1:
                self.cut = True
                return chunk[: max(0, found - len(self._tail))]
            self.seen += 1
            start = found + len(self.marker)
        self._tail = block[max(start, len(block) - len(self.marker) + 1):]  # shorter than the marker
        return chunk


class UploadBudget:
    """ASGI middleware for Gradio's upload route (``.../upload``); everything else passes through untouched."""

    def __init__(self, app, per_request: int = MAX_UPLOAD_REQUEST_BYTES, per_client: int = MAX_CLIENT_BYTES,
                 window_s: float = CLIENT_WINDOW_S, files_per_request: int = MAX_UPLOAD_REQUEST_FILES,
                 files_per_client: int = MAX_CLIENT_FILES) -> None:
        self.app, self.per_request, self.per_client, self.window_s = app, per_request, per_client, window_s
        self.files_per_request, self.files_per_client = files_per_request, files_per_client
        self._spent: dict[str, deque] = defaultdict(deque)  # client -> (time, bytes, files) of its recent uploads

    def spent(self, client: str) -> tuple[int, int]:
        """Bytes and files ``client`` uploaded within the window."""
        history, cutoff = self._spent[client], time.monotonic() - self.window_s
        while history and history[0][0] < cutoff:
            history.popleft()
        if not history:
            del self._spent[client]
            return 0, 0
        return sum(size for _, size, _ in history), sum(files for _, _, files in history)

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
        spent_bytes, spent_files = self.spent(client)
        if spent_bytes + (size or 0) > self.per_client or spent_files >= self.files_per_client:
            return await _refuse(send, 429, f"this address uploaded over {self.per_client // 2**20} MB or "
                                            f"{self.files_per_client} files in the last {self.window_s / 60:.0f} "
                                            "minutes; try again later")
        received, parts = 0, PartCounter(dict(scope.get("headers") or []).get(b"content-type", b""))

        async def counted_receive():
            nonlocal received
            if parts.cut:  # nothing more is read once the body was cut short
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                body = parts.feed(message.get("body", b""), self.files_per_request)
                received += len(body)
                if received > self.per_request:
                    return {"type": "http.disconnect"}  # stop reading: the app sees a disconnect
                if parts.cut:  # the app gets the parts before the one too many, then a disconnect
                    return {**message, "body": body, "more_body": True}
            return message

        try:
            await self.app(scope, counted_receive, send)
        finally:
            self._spent[client].append((time.monotonic(), received, parts.parts))


async def _refuse(send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
