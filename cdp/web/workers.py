"""Several uvicorn worker processes, each accepting connections on a socket of its own.

uvicorn's `--workers` shares one listening socket between the workers, and whichever worker
wakes first accepts every connection waiting: a client that opens its keep-alive connections
at once (a load balancer's pool, a load generator) often lands them all, or most, on one
worker, which then serves them on one core while the other cores idle. Here each worker gets
its own socket bound to the same address with `SO_REUSEPORT`, and the kernel spreads new
connections over the sockets by a hash of their addresses, so each worker receives its share.
uvicorn's supervisor still starts, watches, restarts and stops the workers.

Linux (and other systems with `SO_REUSEPORT`); elsewhere, and on a Unix socket or a file
descriptor, `run_workers` falls back to uvicorn's shared socket.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

__all__ = ["run_workers"]


class _ReusePortWorkers(Multiprocess):
    """uvicorn's supervisor, handing every worker it starts a freshly bound socket."""

    def __init__(self, config: Config) -> None:
        self._handed: list[socket.socket] = []
        super().__init__(config, sockets=[])

    @property
    def sockets(self) -> list[socket.socket]:
        """A new socket on the configured address for the worker about to start."""
        sock = _bind(self.config)
        self._handed.append(sock)
        return [sock]

    @sockets.setter
    def sockets(self, value: list[socket.socket]) -> None:
        pass  # each worker gets its own (above)

    def keep_subprocess_alive(self) -> None:
        # Called every half second by the supervisor's loop, after it started the workers
        # and after a restart. A started worker holds its own copy of its socket; the
        # supervisor's must not stay open, or the kernel would keep routing connections to
        # it after that worker exits.
        self._close_handed()
        super().keep_subprocess_alive()
        self._close_handed()

    def _close_handed(self) -> None:
        handed, self._handed = self._handed, []
        for sock in handed:
            sock.close()


def _bind(config: Config) -> socket.socket:
    family = socket.AF_INET6 if config.host and ":" in config.host else socket.AF_INET
    sock = socket.socket(family=family)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((config.host, config.port))
    except OSError as exc:
        sock.close()
        print(f"cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        sys.exit(STARTUP_FAILURE)
    # Port 0 asks for any free port: the first socket's becomes every worker's.
    config.port = sock.getsockname()[1]
    sock.set_inheritable(True)
    return sock


def run_workers(app: str, *, workers: int, **options: Any) -> None:
    """Serve the app named by the import string `app` (as uvicorn's `--factory` when
    `factory=True` is among `options`) with `workers` processes until stopped; `options` are
    `uvicorn.Config`'s."""
    # A worker must answer the supervisor's health check within this many seconds, or it is
    # killed and restarted. uvicorn's 5 s killed workers still importing the app on a busy
    # machine, in a loop; 30 s still replaces a hung worker.
    options.setdefault("timeout_worker_healthcheck", 30)
    config = Config(app, workers=workers, **options)
    if config.uds is not None or config.fd is not None or not hasattr(socket, "SO_REUSEPORT"):
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    _ReusePortWorkers(config).run()
