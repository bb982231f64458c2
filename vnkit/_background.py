"""Background API jobs (article 15) from the client side.

``client.submit("GET", "customerinvoice", params={...})`` sends the request with the
``erp-api-background`` header, gets **202 Accepted** and a job id back, and returns a
:class:`BackgroundJob` that follows the job at its status location:

>>> job = client.submit("GET", "customer", params={"status": "Active"})  # doctest: +SKIP
>>> job.wait(timeout=60).result()                                       # doctest: +SKIP

``result()`` is a DataFrame for a list GET, the parsed JSON otherwise, and raises the
API's error (``NotFoundError``, ``BadRequestError`` ...) when the job failed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import requests

from ._exceptions import ConfigurationError, VnkitError

if TYPE_CHECKING:

    from ._client import Client

HEADER = "erp-api-background"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_FORBIDDEN_IN_NAMES = set(" ,=:\r\n\t")


def notify_header(notify: Any) -> str:
    """The ``erp-api-background`` value for a ``notify`` argument.

    Parameters
    ----------
    notify : None, "none", "subscription", mapping, or str URL
        None / ``"none"``: no notification (poll the status). ``"subscription"``: a
        ``BACKGROUND_API_RESPONSE`` webhook to the app's subscriptions. A mapping: the
        same, with its items echoed as headers on the notification (correlation ids).
        An ``http(s)://`` URL: the deprecated direct webhook.

    Raises
    ------
    ConfigurationError
        For any other value, or header names/values the header format cannot carry.
    """
    if notify is None or (isinstance(notify, str) and notify.strip().lower() == "none"):
        return "none"
    if isinstance(notify, str):
        text = notify.strip()
        if text.lower() == "subscription":
            return "subscription"
        if text.lower().startswith(("http://", "https://")):
            return text
        if text.lower().startswith("subscription:"):
            pairs = dict(p.partition("=")[::2] for p in text.split(":", 1)[1].split(","))
            return notify_header(pairs)
        raise ConfigurationError(f"notify={notify!r} is not understood.",
                                 hint="use None, 'subscription', a dict of headers to echo, "
                                      "or (deprecated) a webhook URL")
    if isinstance(notify, Mapping):
        if not notify:
            return "subscription"
        parts = []
        for name, value in notify.items():
            name, value = str(name), str(value)
            if not name or _FORBIDDEN_IN_NAMES & set(name) or not name.isascii():
                raise ConfigurationError(f"notify header name {name!r} cannot be sent.",
                                         hint="use letters, digits and '-' in header names")
            if set(",\r\n") & set(value):
                raise ConfigurationError(f"notify header {name}: the value {value!r} "
                                         "contains a comma or a line break.",
                                         hint="the header separates pairs with commas")
            parts.append(f"{name}={value}")
        return "subscription:" + ",".join(parts)
    raise ConfigurationError(f"notify={notify!r} is not understood.",
                             hint="use None, 'subscription', a dict of headers to echo, or "
                                  "(deprecated) a webhook URL")


class BackgroundJob:
    """A request the API runs in the background, followed at its status location.

    Attributes
    ----------
    id : str
        The job id the API gave in its 202 answer.
    location : str
        URL of the job's status (``.../v1/background/{id}``).
    last_status : dict
        The most recent BackgroundStatus body seen.
    """

    def __init__(self, client: Client, job_id: str, location: str, *,
                 status: Mapping[str, Any] | None = None, method: str | None = None,
                 path: str | None = None):
        self._client = client
        self.id = job_id
        self.location = location
        self.last_status: dict[str, Any] = dict(status or {})
        # The status body does not say which method the request used; a job looked up
        # by id has method None, and a list answer is then taken for a list GET.
        self.method = method
        self.path = path

    def __repr__(self) -> str:
        what = f"{self.method} {self.path}" if self.method and self.path else self.location
        state = self.last_status.get("status", "?")
        code = self.last_status.get("statusCode")
        return (f"BackgroundJob(id={self.id!r}, request={what!r}, status={state!r}, "
                f"statusCode={code!r})")

    # -- state ----------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Read the job's status now (``GET background/{id}``) and return it."""
        self.last_status = self._client.request("GET", self.location).json()
        return self.last_status

    @property
    def done(self) -> bool:
        """Whether the last status seen is Finished or Failed (no request)."""
        return self.last_status.get("status") in ("Finished", "Failed")

    def wait(self, timeout: float = 60.0, progress: bool = True,
             interval: float = 0.2) -> BackgroundJob:
        """Poll the status until the job is Finished or Failed.

        Parameters
        ----------
        timeout : float
            Seconds to wait at most.
        progress : bool
            Show a progress bar (tqdm) with the job's state.
        interval : float
            Seconds between status reads (grows to at most 2 s).

        Raises
        ------
        TimeoutError
            The job did not finish in time (it keeps running; call ``wait`` again).
        """
        if timeout <= 0 or interval <= 0:
            raise ConfigurationError("timeout and interval must be positive")
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=1, desc=f"background {self.id[:8]}", unit="job")
        deadline = time.monotonic() + timeout
        try:
            while True:
                state = self.status().get("status")
                if bar is not None:
                    bar.set_postfix_str(str(state))
                if self.done:
                    if bar is not None:
                        bar.update(1)
                    return self
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"background job {self.id} is still {state} after "
                                       f"{timeout:g} s; call wait() again or read status()")
                time.sleep(min(interval, left))
                interval = min(interval * 1.5, 2.0)
        finally:
            if bar is not None:
                bar.close()

    # -- answer ---------------------------------------------------------------
    def content(self) -> bytes:
        """The stored response body (``GET background/{id}/content``), b"" if none."""
        if not self.done:
            self.status()
        if not self.last_status.get("hasResponseContent"):
            return b""
        url = self.last_status.get("contentLocation") or f"{self.location}/content"
        return self._client.request("GET", url).content

    def result(self, timeout: float = 60.0, parse_dates: bool = True) -> Any:
        """The job's answer: a DataFrame for a list GET, the parsed JSON otherwise.

        Waits (without a progress bar) while the job is running.

        Raises
        ------
        ApiError
            The job failed: the subclass for its status code, with the API's message.
        """
        if not self.done:
            self.status()
        if not self.done:
            self.wait(timeout=timeout, progress=False)
        body = self.content()
        code = int(self.last_status.get("statusCode") or 0)
        if self.last_status.get("status") == "Failed" or code >= 400:
            _raise_stored(self.last_status, body, self.method or "GET")
        if not body:
            return None
        import json

        data = json.loads(body)
        if (self.method or "GET").upper() == "GET" and isinstance(data, list):
            from ._frames import to_frame

            return to_frame(data, parse_dates=parse_dates)
        return data


def _raise_stored(status: Mapping[str, Any], body: bytes, method: str) -> None:
    """Raise the ApiError the original request would have raised."""
    from ._client import raise_for_answer

    answer = requests.Response()
    answer.status_code = int(status.get("statusCode") or 500)
    answer._content = body
    answer.headers.update({k: str(v) for k, v in (status.get("responseHeaders") or {}).items()})
    answer.url = status.get("originalUri") or ""
    answer.request = requests.Request(method, answer.url).prepare()
    raise_for_answer(answer)
    raise VnkitError(f"background job {status.get('id')} failed: "
                     f"{status.get('errorMessage') or 'no message'}")


def submit(client: Client, method: str, path: str, *,
           params: Mapping[str, Any] | None = None, json: Any = None, version: str = "v1",
           notify: Any = None) -> BackgroundJob:
    """Send a request as a background job; see :meth:`vnkit.Client.submit`."""
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise ConfigurationError(f"method {method!r} is not an HTTP method of the API.",
                                 hint="one of " + ", ".join(METHODS))
    header = notify_header(notify)
    answer = client.request(method.upper(), path, params=params, json=json, version=version,
                            headers={HEADER: header})
    if answer.status_code != 202:
        raise VnkitError(f"{method.upper()} {path} was answered {answer.status_code}, not "
                         "202 Accepted: the API did not take it as a background job.",
                         hint="the Background API exists from API version 8.88")
    body = answer.json() if answer.content else {}
    job_id = str(body.get("id") or answer.headers.get("Location", "").rstrip("/")
                 .rsplit("/", 1)[-1])
    location = (answer.headers.get("Location") or body.get("stateLocation")
                or client.environment.endpoint_url(f"background/{job_id}"))
    return BackgroundJob(client, job_id, location, status=body, method=method.upper(),
                         path=path)


class BackgroundJobs:
    """``client.background``: submit jobs and look up earlier ones by id."""

    def __init__(self, client: Client):
        self._client = client

    def __repr__(self) -> str:
        return "BackgroundJobs()"

    def submit(self, method: str, path: str, **kwargs: Any) -> BackgroundJob:
        """Same as :meth:`vnkit.Client.submit`."""
        return submit(self._client, method, path, **kwargs)

    def get(self, job_id: str) -> BackgroundJob:
        """A handle on an existing job (its status is read once, now)."""
        if not isinstance(job_id, str) or not job_id.strip() or "/" in job_id:
            raise ConfigurationError(f"{job_id!r} is not a background job id.")
        location = self._client.environment.endpoint_url(f"background/{job_id.strip()}")
        job = BackgroundJob(self._client, job_id.strip(), location)
        job.status()
        return job
