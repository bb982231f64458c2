"""Running the sandbox app under uvicorn: the body of ``python -m vnkit sandbox``.

The process binds its socket itself before uvicorn starts, so that with port 0 the
operating system picks a free port and the process can report the real one. In
``ready_json`` mode it talks to its parent (``vnkit.sandbox.start``) through one JSON
object per stdout line (``generating``, then ``ready``) and stops when its standard
input closes, so it cannot outlive a parent that died without calling ``stop()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from ._pending import announce as announce_generating
from ._settings import Settings

#: Query parameters whose values never reach the access log: the OAuth and VNI
#: credentials, and anything whose name says it is one (matched in lower case).
_SECRET_PARAMS = frozenset({"code", "state", "nonce", "code_verifier", "password",
                            "client_secret", "assertion", "signature"})
_SECRET_PARTS = ("token", "secret", "password", "passwd", "key", "signature", "session",
                 "credential", "verifier")


def redact_query(path: str) -> str:
    """``path`` with the values of credential-like query parameters replaced by ``***``."""
    head, sep, query = path.partition("?")
    if not sep:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    shown = [(name, "***" if name.lower() in _SECRET_PARAMS
              or any(part in name.lower() for part in _SECRET_PARTS) else value)
             for name, value in pairs]
    return f"{head}?{urlencode(shown, safe='*')}"


class _RedactQuery(logging.Filter):
    """Takes credentials out of uvicorn's access-log lines (its third argument is the
    path with the query string; headers, Authorization among them, are never logged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def _enable_access_log() -> None:
    """Let uvicorn's access lines through (the server runs at warning level otherwise)."""
    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.INFO)
    if not any(isinstance(f, _RedactQuery) for f in access.filters):
        access.addFilter(_RedactQuery())


# The pipe to the parent (``vnkit.sandbox.start``). Once the server is ready, standard
# output goes to the log like standard error, and events use a duplicate of the pipe.
_events = sys.stdout


def _emit(event: dict) -> None:
    with contextlib.suppress(OSError, ValueError):  # the parent may be gone
        _events.write(json.dumps(event) + "\n")
        _events.flush()


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 lets the operating system choose."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # The protocol must be named: asyncio turns Nagle off (TCP_NODELAY) only on sockets
    # whose proto is IPPROTO_TCP, and with Nagle on, every small answer waits ~40 ms
    # for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if os.name != "nt":  # lets a fixed port be reused right after a restart
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _watch_stdin(on_eof: Callable[[], None]) -> None:
    """Call ``on_eof`` when the parent closes our standard input (or dies)."""

    def run() -> None:
        try:
            while sys.stdin.buffer.read(1024):
                pass
        except (OSError, ValueError):
            pass
        on_eof()

    threading.Thread(target=run, name="vnkit-parent-watch", daemon=True).start()


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(0)


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 0,
          db: str | None = None, reset: bool = False, ready_json: bool = False,
          announce: Callable[[dict], None] | None = None) -> None:
    """Prepare the data, start uvicorn and block until the server stops.

    Parameters
    ----------
    settings
        Sandbox behaviour.
    host, port
        Where to listen (port 0: any free port).
    db, reset
        Working database (None: the persistent one in the cache) and whether to
        replace it with a fresh copy of the template.
    ready_json
        Speak the JSON-lines protocol of ``vnkit.sandbox.start`` on stdout.
    announce
        Called with the ready event in human mode (the CLI prints its table).
    """
    import uvicorn

    from ._app import create_app
    from ._store import is_run_copy, open_store, remove_db_files

    started = time.perf_counter()

    def on_generate(path: Path) -> None:
        if ready_json:
            _emit({"event": "generating", "template": str(path)})
        else:
            print(f"Generating the demo data once (takes a little while); it is cached "
                  f"in {path.parent}", file=sys.stderr, flush=True)

    def on_generate_companies(companies: list) -> None:
        announce_generating(companies)
        if ready_json:
            _emit({"event": "generating", "companies": [c.name for c in companies]})

    store = open_store(settings.data_module, settings.seed, db, reset, on_generate)
    app = create_app(settings, store=store, on_generate_companies=on_generate_companies)
    sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    config = uvicorn.Config(app, log_level="warning", access_log=settings.access_log,
                            lifespan="on", timeout_graceful_shutdown=3)
    if settings.access_log:
        # After Config: it sets every uvicorn logger to the warning level.
        _enable_access_log()
    server = uvicorn.Server(config)

    demo = next(iter(store.clients.values()), None)
    ready = {
        "event": "ready", "url": f"http://{shown_host}:{bound_port}", "port": bound_port,
        "pid": os.getpid(), "db": store.path,
        "client_id": demo.client_id if demo else None,
        "client_secret": demo.client_secret if demo else None,
        "companies": [{"name": c.name, "company_id": c.company_id, "tenant_id": c.tenant_id}
                      for c in store.companies],
        "records": int(store.meta.get("records", 0)),
    }

    async def main() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.005)
        if server.started:
            ready["startup_seconds"] = round(time.perf_counter() - started, 3)
            if ready_json:
                global _events
                _emit(ready)
                # Only events go to the pipe from now on; stray output goes to the log.
                _events = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
                sys.stdout.flush()
                os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
                _watch_stdin(lambda: setattr(server, "should_exit", True))
            elif announce is not None:
                announce(ready)
        await task

    # uvicorn turns SIGTERM into a graceful shutdown and then raises it again once it
    # is done; with the default handler that second signal would end the process
    # before the clean-up below (which deletes a per-run database copy).
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        asyncio.run(main())
    except SystemExit:
        pass
    finally:
        store.close()
        sock.close()
        if is_run_copy(Path(store.path)):
            remove_db_files(Path(store.path))
