"""The socket the workers of a server share."""

import asyncio
import socket

from {{ cookiecutter.package_name }}.serving.server import (
    WORKER_APP,
    listening_socket,
    uvicorn_config,
)


async def nodelay_of_a_connection(listening: socket.socket) -> int:
    """TCP_NODELAY of a connection accepted on `listening` by asyncio, as a worker accepts it."""
    loop = asyncio.get_running_loop()
    accepted = loop.create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            connection = transport.get_extra_info("socket")
            accepted.set_result(connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async with await loop.create_server(Probe, sock=listening):
        _, writer = await asyncio.open_connection(*listening.getsockname())
        nodelay = await accepted
        writer.close()
    return nodelay


def test_the_workers_send_each_answer_at_once():
    """Nagle's algorithm off: an answer on a kept-alive connection does not wait for the
    client's delayed ACK of the one before."""
    config = uvicorn_config(WORKER_APP, "127.0.0.1", 0, workers=2)
    with listening_socket(config) as listening:
        assert asyncio.run(nodelay_of_a_connection(listening))
