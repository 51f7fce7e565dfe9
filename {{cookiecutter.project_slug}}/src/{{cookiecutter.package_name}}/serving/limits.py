"""Bounds on what requests may cost: the size of a body, the time it takes to arrive, and how
many requests are in flight at once.

A pure ASGI middleware, so it sees a body as it arrives: one over the limit is refused (413)
once its declared length or the bytes counted so far pass it, before the whole body is read,
whether it declares a Content-Length or comes in chunks. The limits are raised from inside
`receive`, as the app reads the body, so /predict answers them like any rejected request
(counted, with the version header); the middleware answers them for any other path.
"""

import asyncio
import json
import logging
import time
from collections.abc import Callable, Collection

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.serving.schemas import RejectedRequestError

BUSY_RETRY_AFTER_SECONDS = "1"
# Sent with a refused body: the server then closes the connection instead of reading (and
# discarding) the rest of the body.
CLOSE = {"Connection": "close"}

logger = logging.getLogger(__name__)


class RequestLimits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        body_timeout_seconds: float,
        max_concurrent: int,
        unbounded_paths: Collection[str],
        on_busy: Callable[[], None],
    ):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_seconds = body_timeout_seconds
        self.max_concurrent = max_concurrent
        # Paths that are never refused as busy: probes must not fail because of load.
        self.unbounded_paths = frozenset(unbounded_paths)
        self.on_busy = on_busy
        # One event loop runs every request, so a plain counter is safe.
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.unbounded_paths:
            await self._guarded(scope, receive, send)
            return
        if self.in_flight >= self.max_concurrent:
            self.on_busy()
            await answer(
                send,
                503,
                f"the server is busy with {self.in_flight} requests "
                "(SERVING_MAX_CONCURRENT_REQUESTS); retry shortly",
                {"retry-after": BUSY_RETRY_AFTER_SECONDS},
            )
            return
        self.in_flight += 1
        try:
            await self._guarded(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = BodyReader(receive, scope, self.max_body_bytes, self.body_timeout_seconds)
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, body.receive, tracking_send)
        except RejectedRequestError as rejection:
            if not started:
                await answer(send, rejection.status_code, rejection.detail, rejection.headers)
        except ClientDisconnect:
            # Expected on any network: one line, not a traceback.
            logger.info(
                "%s %s: the client disconnected after %d bytes of the body; request dropped",
                scope["method"],
                scope["path"],
                body.received,
            )


class BodyReader:
    """`receive`, refusing a body over `max_bytes` or not complete within `timeout_seconds`."""

    def __init__(self, receive: Receive, scope: Scope, max_bytes: int, timeout_seconds: float):
        self._receive = receive
        self._max_bytes = max_bytes
        self._timeout_seconds = timeout_seconds
        self._deadline = time.monotonic() + timeout_seconds
        self._declared = declared_length(scope)
        self.received = 0
        self.complete = False

    async def receive(self) -> Message:
        if self.complete:
            # After the body, `receive` only waits for a disconnect: no deadline for that.
            return await self._receive()
        if self._declared is not None and self._declared > self._max_bytes:
            raise self._too_large(f"declares {self._declared} bytes")
        try:
            message = await asyncio.wait_for(
                self._receive(), timeout=max(self._deadline - time.monotonic(), 0)
            )
        except TimeoutError:
            raise RejectedRequestError(
                408,
                f"the body did not arrive within {self._timeout_seconds:g} s "
                f"(SERVING_BODY_TIMEOUT_SECONDS; {self.received} bytes came); send it at once",
                CLOSE,
            ) from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self._max_bytes:
                raise self._too_large(f"is more than {self._max_bytes} bytes")
            self.complete = not message.get("more_body", False)
        return message

    def _too_large(self, size: str) -> RejectedRequestError:
        return RejectedRequestError(
            413,
            f"the body {size}, over the limit of {self._max_bytes} (SERVING_MAX_BODY_BYTES); "
            "send the rows in smaller batches",
            CLOSE,
        )


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def answer(
    send: Send, status: int, detail: object, headers: dict[str, str] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    fields = {"content-type": "application/json", "content-length": str(len(body))}
    fields |= {name.lower(): value for name, value in (headers or {}).items()}
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(name.encode(), value.encode()) for name, value in fields.items()],
        }
    )
    await send({"type": "http.response.body", "body": body})
