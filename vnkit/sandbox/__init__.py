"""A local emulator of the Visma.net ERP API and its Visma Connect sign-in.

>>> from vnkit import sandbox
>>> sb = sandbox.start()            # doctest: +SKIP
>>> sb                              # doctest: +SKIP
Sandbox(url='http://127.0.0.1:54321', companies=['Nordlys Handel AS', ...])
>>> sb.credentials.client_id        # doctest: +SKIP
>>> sb.stop()                       # doctest: +SKIP

The server runs in a child process (``python -m vnkit sandbox --ready-json``) so that
serving pages never competes with the notebook kernel for the GIL. The first start
generates the demo data of the small companies (a few seconds) into a cached template;
the large company is generated when a request first names it (about a minute, once);
later starts copy or reuse the template and take about a second.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._exceptions import ConfigurationError, VnkitError
from ._settings import Settings

__all__ = ["start", "Sandbox", "Credentials", "CompanyRef", "Settings", "SandboxStartError",
           "demo_users"]


class SandboxStartError(VnkitError, RuntimeError):
    """The sandbox process did not come up (its error output is in the message)."""


@dataclass(frozen=True)
class CompanyRef:
    """A demo company as a client needs it: name, ``ipp-company-id`` and tenant."""

    name: str
    company_id: int
    tenant_id: str


@dataclass(frozen=True)
class Credentials:
    """The demo service client of a sandbox.

    Attributes
    ----------
    client_id, client_secret
        For ``POST /connect/token`` (the secret is masked in ``repr``).
    companies
        Every demo company with its ``company_id`` and ``tenant_id``.
    """

    client_id: str | None
    client_secret: str | None = field(repr=False)
    companies: tuple[CompanyRef, ...] = ()

    def __repr__(self) -> str:
        secret = "None" if self.client_secret is None else "'***'"
        names = [c.name for c in self.companies]
        return (f"Credentials(client_id={self.client_id!r}, client_secret={secret}, "
                f"companies={names!r})")

    def company(self, name_or_company_id: str | int) -> CompanyRef:
        """The company with this id, or this name (case-insensitive, unique prefix ok)."""
        key = str(name_or_company_id).strip()
        for company in self.companies:
            if str(company.company_id) == key:
                return company
        lowered = key.casefold()
        exact = [c for c in self.companies if c.name.casefold() == lowered]
        matches = exact or [c for c in self.companies if c.name.casefold().startswith(lowered)]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(f"{c.name} ({c.company_id})" for c in self.companies)
        why = "matches several companies" if matches else "matches no company"
        raise ConfigurationError(f"{name_or_company_id!r} {why}.",
                                 hint=f"Use a company id or name: {known}.")

    def tenant_id(self, name_or_company_id: str | int) -> str:
        """The ``tenant_id`` to ask a token for when working on this company."""
        return self.company(name_or_company_id).tenant_id


def _stop_process(process: subprocess.Popen, log: Any, run_copy: str | None = None) -> None:
    """End the server process (used by ``stop()``, the finalizer and atexit).

    ``run_copy`` is the per-run database of a ``db=None`` start: the server deletes it
    on a clean exit, and this deletes it too in case the server had to be killed.
    """
    try:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
    finally:
        for stream in (process.stdin, process.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        try:
            log.close()
            os.unlink(log.name)
        except (OSError, AttributeError):
            pass
        if run_copy is not None and process.poll() is not None:
            from ._store import remove_db_files

            remove_db_files(Path(run_copy))


def _store_is_run_copy(path: Path) -> bool:
    from ._store import is_run_copy  # the store module is light, but keep start-up lean

    return is_run_copy(path)


class Sandbox:
    """A running sandbox: where it is, how to sign in, and how to stop it.

    Made by :func:`start` (which owns the server process) or :meth:`attach` (a server
    started elsewhere, e.g. by Binder; ``stop()`` then does nothing).

    Attributes
    ----------
    url : str
        Root URL, e.g. ``http://127.0.0.1:54321``; the API is under ``{url}/v1``.
    credentials : Credentials
        The demo client and its companies.
    companies : tuple of CompanyRef
        The demo companies.
    """

    def __init__(self, url: str, credentials: Credentials, *,
                 process: subprocess.Popen | None = None, log: Any = None,
                 info: dict | None = None):
        self.url = url.rstrip("/")
        self.credentials = credentials
        self.companies = credentials.companies
        self.info = dict(info or {})
        self._process = process
        run_copy = self.info.get("db")
        if run_copy is not None and not _store_is_run_copy(Path(run_copy)):
            run_copy = None
        self._finalizer = (weakref.finalize(self, _stop_process, process, log, run_copy)
                           if process is not None else None)

    @property
    def api_url(self) -> str:
        """Base of the API in today's layout (``{url}/v1``)."""
        return f"{self.url}/v1"

    @property
    def token_url(self) -> str:
        """The Visma Connect token endpoint of this sandbox."""
        return f"{self.url}/connect/token"

    @property
    def pid(self) -> int | None:
        """Process id of the server (None when attached)."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the server process is alive (attached: whether it answers)."""
        if self._process is not None:
            return self._process.poll() is None
        try:
            _get_json(f"{self.url}/sandbox/health", timeout=2)
            return True
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the server this handle started (idempotent)."""
        if self._finalizer is not None:
            self._finalizer()

    def server_log(self, lines: int | None = None) -> str:
        """What the server process wrote: errors, and with ``access_log=True`` one line
        per request (method, path, status; credentials in the query string show as
        ``***``, headers such as Authorization never appear).

        Parameters
        ----------
        lines
            Only the last ``lines`` lines (None: all of it).

        Returns
        -------
        str
            The text; empty for an attached sandbox or once the sandbox has stopped
            (the file is removed then).
        """
        path = self.info.get("log")
        if not path or self._process is None:
            return ""
        try:
            text = Path(path).read_text(errors="replace")
        except OSError:
            return ""
        return text if lines is None else "\n".join(text.splitlines()[-lines:])

    def rate_limit(self, **changes: Any) -> dict:
        """Read or change the throttling of the running server (see ``_limits``).

        With no arguments, the limits and the calls spent per client and company.
        Keywords: ``test``, ``production`` (calls per window), ``window_seconds`` (the
        time warp), ``policy``, ``enabled``, ``reset=True`` (every budget full again).
        """
        return _admin_call(f"{self.url}/sandbox/admin/rate-limit", changes or None)

    def faults(self, plan: dict | None = None) -> dict:
        """Read the fault plan and what it did, or replace it (``{}`` for none).

        See ``vnkit.sandbox._faults`` for the plan's fields (random faults, rules,
        records that move while a client pages).
        """
        return _admin_call(f"{self.url}/sandbox/admin/faults", plan)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        names = [c.name for c in self.companies]
        return f"Sandbox(url={self.url!r}, companies={names!r})"

    @classmethod
    def attach(cls, url: str, *, timeout: float = 5.0) -> Sandbox:
        """A handle on a sandbox that is already running at ``url``.

        The server never sends its client secret; the secret is looked up in the demo
        data this vnkit ships (``credentials.client_secret`` is None if the server runs
        other data).
        """
        url = url.rstrip("/")
        try:
            info = _get_json(f"{url}/sandbox/info", timeout=timeout)
        except OSError as exc:
            raise SandboxStartError(f"No sandbox answers at {url}: {exc}",
                                    hint="Start one with vnkit.sandbox.start() or "
                                         "`python -m vnkit sandbox`.") from exc
        companies = tuple(CompanyRef(c["name"], int(c["company_id"]), c["tenant_id"])
                          for c in info.get("companies", []))
        client_id = info.get("demo_client_id")
        return cls(url, Credentials(client_id, _known_secret(client_id), companies),
                   info=info)


def _admin_call(url: str, body: dict | None, timeout: float = 10.0) -> dict:
    """GET an admin resource, or POST ``body`` to it; a 400 becomes ConfigurationError."""
    import urllib.error
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("message", str(exc))
        except ValueError:
            message = str(exc)
        raise ConfigurationError(f"The sandbox refused the change: {message}") from None


def demo_users() -> list[dict]:
    """The sandbox's demo Visma.net users (email, password, where they are "API User").

    For the sign-in pages of the interactive and legacy flows; the passwords are demo
    values, never real credentials.
    """
    from ._signin import DEMO_USERS  # imports FastAPI: only when asked

    return [{"email": u.email, "password": u.password, "name": u.name,
             "api_user": u.api_user} for u in DEMO_USERS]


def _get_json(url: str, timeout: float) -> dict:
    import urllib.request

    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - loopback
        return json.loads(answer.read())


def _known_secret(client_id: str | None) -> str | None:
    try:
        from . import _seed
    except ImportError:
        return None
    for client in getattr(_seed, "CLIENTS", ()):
        if client.client_id == client_id:
            return client.client_secret
    return None


def _tail(path: str, lines: int = 30) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return "(no error output)"
    return "\n".join(text.splitlines()[-lines:]) or "(no error output)"


def _child_env() -> dict[str, str]:
    """Environment of the server: the same vnkit as ours comes first on its path."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    paths = [package_root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _announce(event: dict, quiet: bool) -> None:
    """Tell the user why a start, or a first request for a company, takes a while.

    The large demo company is generated when a request first names it (the server
    says so with a ``generating`` event); the line then shows under the running cell.
    Both lines begin alike, so notebook checks can recognise them.
    """
    if quiet or event.get("event") != "generating":
        return
    names = event.get("companies")
    if names:
        print(f"vnkit sandbox: generating the demo data once for {', '.join(names)} "
              "(this may take a minute); its requests wait until it is ready.", flush=True)
    else:
        print("vnkit sandbox: generating the demo data once (a few seconds); later starts "
              "reuse it.", flush=True)


def start(port: int | None = None, db: str | os.PathLike | None = None, reset: bool = False,
          latency_ms: float = 0, *, host: str = "127.0.0.1", timeout: float = 30.0,
          generation_timeout: float = 900.0, quiet: bool = False,
          **settings: Any) -> Sandbox:
    """Start a sandbox server in a child process and wait until it answers.

    Parameters
    ----------
    port
        Port to listen on; None lets the operating system pick a free one.
    db
        Working database file, kept across runs. None gives this run its own fresh
        copy of the demo data, removed when the sandbox stops, so every default start
        answers the same (the copy and the generated demo data live in the vnkit cache
        directory; ``VNKIT_CACHE_DIR`` moves it).
    reset
        Restore ``db`` to a fresh copy of the demo data (always so when ``db`` is None).
    latency_ms
        Milliseconds added to every API answer.
    host
        Address to listen on.
    timeout
        Seconds to wait for the server once the demo data exists.
    generation_timeout
        Seconds allowed for generating the demo data on a first start.
    quiet
        Do not print the one-time "generating demo data" message.
    **settings
        Any other field of :class:`Settings` (``token_ttl``, ``default_condition``,
        ``max_page_size``, ``seed`` ...). ``access_log=True`` logs one line per request,
        readable with :meth:`Sandbox.server_log`.

    Returns
    -------
    Sandbox
        The handle; ``stop()`` it, use it as a context manager, or let interpreter
        exit stop it.
    """
    unknown = set(settings) - Settings.field_names()
    if unknown:
        raise ConfigurationError(f"Unknown sandbox setting(s): {', '.join(sorted(unknown))}.",
                                 hint="Known: " + ", ".join(sorted(Settings.field_names())))
    try:
        config = Settings(latency_ms=latency_ms, **settings)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"Invalid sandbox setting: {exc}") from exc

    command = [sys.executable, "-m", "vnkit", "sandbox", "--ready-json", "--host", host,
               "--port", str(port or 0), "--settings-json", config.to_json()]
    if db is not None:
        command += ["--db", os.fspath(db)]
    if reset:
        command.append("--reset")
    # Not a with-block: the file outlives this call as the child's stderr.
    log = tempfile.NamedTemporaryFile("w+b", prefix="vnkit-sandbox-", suffix=".log",  # noqa: SIM115
                                      delete=False)
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=log, env=_child_env())
    events: queue.Queue = queue.Queue()

    ready = threading.Event()

    def read_events() -> None:
        # Runs until the child's stdout closes, so the pipe never fills up.
        for raw in process.stdout:  # type: ignore[union-attr]
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            if ready.is_set():  # start() has returned: later events are for the user
                _announce(event, quiet)
            else:
                events.put(event)
                if event.get("event") == "ready":
                    ready.set()
        events.put(None)

    threading.Thread(target=read_events, name="vnkit-sandbox-events", daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                event = events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise SandboxStartError(
                    f"The sandbox did not start within {timeout:g} s. Its output:\n"
                    + _tail(log.name)) from None
            if event is None:
                process.wait(timeout=5)
                raise SandboxStartError(
                    f"The sandbox process exited (code {process.returncode}). Its "
                    "output:\n" + _tail(log.name))
            if event.get("event") == "generating":
                deadline = time.monotonic() + generation_timeout
                _announce(event, quiet)
            elif event.get("event") == "ready":
                break
    except BaseException:
        _stop_process(process, log)
        raise
    companies = tuple(CompanyRef(c["name"], int(c["company_id"]), c["tenant_id"])
                      for c in event["companies"])
    credentials = Credentials(event["client_id"], event["client_secret"], companies)
    info = {k: v for k, v in event.items() if k not in ("client_secret", "event")}
    info["log"] = log.name
    return Sandbox(event["url"], credentials, process=process, log=log, info=info)
