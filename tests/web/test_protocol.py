"""`HeldWrites`: a response's head and body leave in one write; nothing waits past its turn.

The transport underneath records its calls (the wrapper's contract is the calls it makes);
every web test's live server also serves through `HttpToolsProtocol`, so the GraphQL-over-HTTP
audits, the gql client and the browser test run over it end to end.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from cdp.web.protocol import JOIN_LIMIT, HeldWrites
from tests.web.conftest import LiveServer


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, Any]] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.calls.append(("write", bytes(data)))

    def close(self) -> None:
        self.calls.append(("close", None))
        self.closing = True

    def abort(self) -> None:
        self.calls.append(("abort", None))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 0


def _held(transport: RecordingTransport) -> HeldWrites:
    return HeldWrites(transport, asyncio.get_running_loop())


async def _next_turns() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_head_and_body_written_in_one_turn_leave_as_one_write() -> None:
    transport = RecordingTransport()
    held = _held(transport)
    held.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    held.write(b"{}")
    assert transport.calls == [("write", b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")]
    await _next_turns()
    assert len(transport.calls) == 1


async def test_a_lone_write_leaves_at_the_end_of_its_turn() -> None:
    transport = RecordingTransport()
    held = _held(transport)
    held.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert transport.calls == []
    assert held.get_write_buffer_size() == len(b"HTTP/1.1 100 Continue\r\n\r\n")
    await _next_turns()
    assert transport.calls == [("write", b"HTTP/1.1 100 Continue\r\n\r\n")]


async def test_writes_keep_their_order_across_turns() -> None:
    transport = RecordingTransport()
    held = _held(transport)
    held.write(b"a")
    held.write(b"b")
    held.write(b"c")  # held again: pairs, in order
    await _next_turns()
    held.write(b"d")
    await _next_turns()
    assert b"".join(data for _, data in transport.calls) == b"abcd"
    assert transport.calls == [("write", b"ab"), ("write", b"c"), ("write", b"d")]


async def test_a_large_body_follows_the_held_head_without_being_copied_into_it() -> None:
    transport = RecordingTransport()
    held = _held(transport)
    body = b"x" * JOIN_LIMIT
    held.write(b"head")
    held.write(body)
    assert transport.calls == [("write", b"head"), ("write", body)]


async def test_close_sends_what_is_held_first_and_abort_drops_it() -> None:
    closed, aborted = RecordingTransport(), RecordingTransport()
    held = _held(closed)
    held.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    held.close()
    assert closed.calls == [("write", b"HTTP/1.1 400 Bad Request\r\n\r\n"), ("close", None)]
    dropped = _held(aborted)
    dropped.write(b"never sent")
    dropped.abort()
    await _next_turns()
    assert aborted.calls == [("abort", None)]


async def test_nothing_is_written_to_a_transport_closed_meanwhile() -> None:
    transport = RecordingTransport()
    held = _held(transport)
    held.write(b"late")
    transport.closing = True  # the peer went away before the turn ended
    await _next_turns()
    assert transport.calls == []


TYPES = "types { name description fields { name description args { name description } } }"
LARGE = f"{{ a: __schema {{ {TYPES} }} b: __schema {{ {TYPES} }} }}"


def test_live_server_answers_whole_responses_over_the_protocol(live_server: LiveServer) -> None:
    # One keep-alive connection, small and large responses in turn: each arrives whole.
    with httpx.Client(base_url=live_server.base_url, headers=live_server.auth_headers) as client:
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
            small = client.post("/graphql", json={"query": "{ __typename }"})
            assert small.json() == {"data": {"__typename": "Query"}}
            large = client.post("/graphql", json={"query": LARGE})
            assert len(large.content) > JOIN_LIMIT
            assert large.json()["data"]["a"] == large.json()["data"]["b"]
