"""uvicorn's httptools protocol, sending a response's head and body in one write.

uvicorn writes a response's head (status line and headers) to the socket when the app sends
`http.response.start`, and its body when the app sends `http.response.body`: two `send`
system calls, two TCP segments, and two reads for the client. For the small answers most
GraphQL requests get, the second send is a large part of what the request costs the server
(and the client). Here the protocol writes through `HeldWrites`, which holds a write back
until the next write in the same turn of the event loop or the end of that turn, whichever
comes first: a head followed by its body leaves as one write, and nothing waits longer than
the turn in which it was written. aiohttp's server does the same (aio-libs/aiohttp#10991).

`cdp serve` and `benchmarks/api.py` pass `HttpToolsProtocol` as uvicorn's `http` protocol.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _UvicornHttpTools

__all__ = ["HeldWrites", "HttpToolsProtocol"]

# A body at least this large is written after the held head rather than joined to it: the
# copy would cost more than the extra system call saves.
JOIN_LIMIT = 64 * 1024


class HeldWrites(asyncio.Transport):
    """A transport that delegates to `transport`, holding a write back until the next write
    or the end of the current turn of `loop`, so that two writes in one turn go out as one.

    Closing sends what is held first; aborting drops it, as aborting a transport drops its
    buffer. Everything else is the wrapped transport's.
    """

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is None:
            self._held = bytes(data)
            self._loop.call_soon(self._release)
            return
        self._held = None
        if len(data) < JOIN_LIMIT:
            self._transport.write(held + bytes(data))
        else:
            self._transport.write(held)
            self._transport.write(data)

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def _release(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self._release()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def write_eof(self) -> None:
        self._release()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        held = self._held
        return self._transport.get_write_buffer_size() + (len(held) if held else 0)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()


class HttpToolsProtocol(_UvicornHttpTools):
    """uvicorn's httptools protocol writing through `HeldWrites`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(HeldWrites(transport, self.loop))
