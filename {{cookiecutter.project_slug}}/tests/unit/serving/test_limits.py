"""The request limits as the server meets them, at the ASGI level: a body over its size, declared
or counted, and one that arrives too slowly are refused as they come in; more requests than may
be in flight are refused at once, the probes never; the app's own answer is never doubled."""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

import pytest
from starlette.requests import ClientDisconnect

from {{ cookiecutter.package_name }}.serving.limits import RequestLimits
from {{ cookiecutter.package_name }}.serving.schemas import RejectedRequestError

MAX_BODY_BYTES = 10
TIMEOUT_SECONDS = 0.2
PROBE = "/health"
# Longer than any test takes: a run that waits this long never ended by itself.
GIVE_UP_SECONDS = 10


async def echo_length(scope, receive, send) -> None:
    """An app that reads the whole body and answers with its length."""
    length, more = 0, True
    while more:
        message = await receive()
        length += len(message.get("body", b""))
        more = message.get("more_body", False)
    await respond(send, str(length).encode())


async def respond(send, body: bytes) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


class Client:
    """One request: its body in chunks, each arriving after its delay (seconds after it is
    asked for, none by default); then the connection stays open, or closes after
    `disconnect_after` seconds."""

    def __init__(self, *chunks: bytes, delays: tuple = (), disconnect_after: float | None = None):
        # The last chunk leaves `more_body` out, which ASGI reads as false.
        self.messages = [
            {"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks[:-1]
        ] + [{"type": "http.request", "body": chunk} for chunk in chunks[-1:]]
        self.delays = list(delays) + [0] * (len(chunks) - len(delays))
        self.disconnect_after = disconnect_after
        self.reads = 0
        self.sent: list[dict] = []

    async def receive(self) -> dict:
        self.reads += 1
        if self.messages:
            await asyncio.sleep(self.delays.pop(0))
            return self.messages.pop(0)
        if self.disconnect_after is None:
            await asyncio.Event().wait()
        await asyncio.sleep(self.disconnect_after)
        return {"type": "http.disconnect"}

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    async def request(
        self, limits: RequestLimits, path: str = "/predict", headers: tuple = ()
    ) -> "Client":
        scope = {"type": "http", "method": "POST", "path": path, "headers": list(headers)}
        await limits(scope, self.receive, self.send)
        return self

    def status(self) -> int:
        return self.sent[0]["status"]

    def headers(self) -> dict[str, str]:
        return {name.decode(): value.decode() for name, value in self.sent[0]["headers"]}

    def body(self) -> bytes:
        return b"".join(message.get("body", b"") for message in self.sent[1:])

    def detail(self):
        return json.loads(self.body())["detail"]


def limits_on(app=echo_length, max_concurrent: int = 1, busy: list | None = None) -> RequestLimits:
    """The limits around `app`; each time they refuse a request as busy, `busy` gets an entry."""
    busy = [] if busy is None else busy
    return RequestLimits(
        app,
        max_body_bytes=MAX_BODY_BYTES,
        body_timeout_seconds=TIMEOUT_SECONDS,
        max_concurrent=max_concurrent,
        unbounded_paths=[PROBE],
        on_busy=lambda: busy.append("busy"),
    )


def run(requests: Callable[[], Awaitable]):
    """Run the requests in an event loop, failing the test when they do not end by themselves."""

    async def bounded():
        return await asyncio.wait_for(requests(), GIVE_UP_SECONDS)

    return asyncio.run(bounded())


def send_one(client: Client, **request) -> Client:
    return run(lambda: client.request(limits_on(), **request))


def length_header(size: int) -> tuple:
    # Another header first: the length is found by its name.
    return ((b"content-type", b"application/json"), (b"content-length", str(size).encode()))


def refusal_headers(client: Client, **extra: str) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "content-length": str(len(client.body())),
        **extra,
    }


def test_a_body_declared_over_the_limit_is_refused_before_it_is_read():
    client = send_one(Client(b"x" * 11), headers=length_header(11))
    assert client.status() == 413
    assert client.detail() == (
        "the body declares 11 bytes, over the limit of 10 (SERVING_MAX_BODY_BYTES); "
        "send the rows in smaller batches"
    )
    # The server closes the connection rather than read the rest.
    assert client.headers() == refusal_headers(client, connection="close")
    assert client.reads == 0
    assert [message["type"] for message in client.sent] == [
        "http.response.start",
        "http.response.body",
    ]


def test_a_body_declared_at_the_limit_is_read():
    client = send_one(Client(b"x" * 10), headers=length_header(10))
    assert (client.status(), client.body()) == (200, b"10")


@pytest.mark.parametrize(
    "declared", [(), ((b"content-length", b"ten"),)], ids=["none", "not-a-number"]
)
def test_a_body_streamed_over_the_limit_is_refused_once_the_bytes_pass_it(declared):
    client = send_one(Client(b"x" * 5, b"x" * 6), headers=declared)
    assert client.status() == 413
    assert client.detail() == (
        "the body is more than 10 bytes, over the limit of 10 (SERVING_MAX_BODY_BYTES); "
        "send the rows in smaller batches"
    )
    assert client.headers() == refusal_headers(client, connection="close")


def test_a_body_streamed_up_to_the_limit_is_read():
    client = send_one(Client(b"x" * 5, b"x" * 5))
    assert (client.status(), client.body()) == (200, b"10")


@pytest.mark.parametrize(("delays", "came"), [((0.5,), 0), ((0, 0.4), 5)], ids=["nothing", "part"])
def test_a_body_that_does_not_arrive_in_time_is_refused(delays, came):
    # With `part`, the second chunk comes 0.4 s in: after the deadline, though well within a
    # second of it.
    client = send_one(Client(*[b"x" * 5] * len(delays), delays=delays))
    assert client.status() == 408
    assert client.detail() == (
        f"the body did not arrive within 0.2 s (SERVING_BODY_TIMEOUT_SECONDS; {came} bytes "
        "came); send it at once"
    )
    assert client.headers() == refusal_headers(client, connection="close")


def test_after_the_whole_body_waiting_for_the_client_has_no_deadline():
    async def waits_for_the_client(scope, receive, send):
        await receive()
        after = await receive()
        await respond(send, after["type"].encode())

    client = Client(b"x" * 5, disconnect_after=2 * TIMEOUT_SECONDS)
    run(lambda: client.request(limits_on(waits_for_the_client)))
    assert (client.status(), client.body()) == (200, b"http.disconnect")


class Held:
    """An app that holds each request until released, and answers the probe at once."""

    def __init__(self):
        self.release = asyncio.Event()
        self.entered = 0

    async def __call__(self, scope, receive, send):
        if scope["path"] == PROBE:
            await echo_length(scope, receive, send)
            return
        self.entered += 1
        await self.release.wait()
        await respond(send, b"done")

    async def hold(self, limits: RequestLimits, count: int) -> list[asyncio.Task]:
        """Send `count` requests, and wait until the app holds them all."""
        entered = self.entered + count
        held = [asyncio.create_task(Client().request(limits)) for _ in range(count)]
        while self.entered < entered:
            await asyncio.sleep(0.01)
        return held

    async def release_all(self, held: list[asyncio.Task]) -> list[Client]:
        self.release.set()
        done = [await task for task in held]
        self.release.clear()
        return done


def test_requests_beyond_the_limit_in_flight_are_refused_and_later_ones_served():
    busy = []

    async def requests():
        app = Held()
        limits = limits_on(app, max_concurrent=2, busy=busy)
        held = await app.hold(limits, 2)
        refused = await Client().request(limits)
        served = await app.release_all(held)
        # Both have left: two requests fit again, and no more.
        held = await app.hold(limits, 2)
        refused_again = await Client().request(limits)
        served += await app.release_all(held)
        return refused, served, refused_again

    refused, served, refused_again = run(requests)
    assert refused.status() == 503
    assert refused.detail() == (
        "the server is busy with 2 requests (SERVING_MAX_CONCURRENT_REQUESTS); retry shortly"
    )
    assert refused.headers() == refusal_headers(refused, **{"retry-after": "1"})
    assert [client.status() for client in served] == [200] * 4
    assert refused_again.status() == 503
    assert busy == ["busy", "busy"]


def test_the_probes_are_answered_however_busy_and_still_bounded():
    async def requests():
        app = Held()
        limits = limits_on(app)
        held = await app.hold(limits, 1)
        refused = await Client().request(limits)
        probed = await Client(b"x" * 3).request(limits, path=PROBE)
        too_large = await Client(b"x" * 11).request(limits, path=PROBE)
        await app.release_all(held)
        return refused, probed, too_large

    refused, probed, too_large = run(requests)
    assert refused.status() == 503
    assert (probed.status(), probed.body()) == (200, b"3")
    assert too_large.status() == 413


def test_a_refusal_after_the_app_has_answered_sends_nothing_more():
    async def answers_then_reads(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RejectedRequestError(413, "too late to say")

    client = Client(b"x" * 3)
    run(lambda: client.request(limits_on(answers_then_reads)))
    assert client.sent == [{"type": "http.response.start", "status": 200, "headers": []}]


def test_a_client_that_leaves_mid_body_is_one_line_in_the_log(caplog):
    async def reads_until_gone(scope, receive, send):
        while (await receive())["type"] != "http.disconnect":
            pass
        raise ClientDisconnect()

    client = Client(b"x" * 5, b"x" * 3, disconnect_after=0)
    client.messages[-1]["more_body"] = True
    with caplog.at_level(logging.INFO, logger=RequestLimits.__module__):
        run(lambda: client.request(limits_on(reads_until_gone)))
    assert client.sent == []
    assert [record.getMessage() for record in caplog.records] == [
        "POST /predict: the client disconnected after 8 bytes of the body; request dropped"
    ]
