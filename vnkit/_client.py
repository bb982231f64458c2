"""``Client``: one ``requests.Session`` to the API, and ``connect``, the one-line way to get one.

The client owns the session (headers, auth, retries, transport), turns error answers
into the exceptions of ``vnkit._exceptions`` with a hint, and hands list endpoints to
the pager (``_paging``) and the frame builder (``_frames``).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import orjson
import requests
from requests.adapters import BaseAdapter

from . import _endpoints
from ._auth import ClientCredentialsAuth, TokenStore
from ._budget import RateBudget
from ._cache import HttpCache
from ._config import Environment, ServiceCredentials, company_from_env, normalise_scopes
from ._exceptions import (
    ConfigurationError,
    FilterError,
    RateLimitError,
    TransportError,
    error_class_for,
)
from ._filters import encode_params
from ._paging import ArrowPage, Pager, collect_stable, cyclic_gc_paused
from ._retry import VnkitRetry, default_adapter

if TYPE_CHECKING:
    import pandas as pd

    from ._background import BackgroundJob, BackgroundJobs
    from ._interactive import SignIn

#: The constant the API expects in ``ipp-application-type``.
APPLICATION_TYPE = "Visma.net Financials"

#: Seconds to wait for a connection and for an answer.
DEFAULT_TIMEOUT = (10.0, 120.0)


# The retry policy and the default transport (``default_adapter``, imported above, where
# callers and tests have always found it) live in _retry.


def _json_body(response: requests.Response) -> Any:
    """The parsed JSON body of a list page (``[]`` when empty).

    orjson decodes a page of 500 wide records in half the time of ``json``; any body it
    does not take (another charset, a non-standard literal) goes to requests' decoder,
    which raises the usual ``JSONDecodeError`` when it is not JSON at all.
    """
    body = response.content
    if not body:
        return []
    if response.encoding in (None, "utf-8", "UTF-8"):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    # The standard library's decoder, not response.json(): requests switches to simplejson
    # when it is installed (dlt brings it), which refuses NaN, so pages would decode
    # differently from one environment to the next.
    try:
        return json.loads(response.text)
    except json.JSONDecodeError as exc:
        raise requests.exceptions.JSONDecodeError(exc.msg, exc.doc, exc.pos) from exc


def _read_body(response: requests.Response) -> None:
    """Read a streamed answer's body in megabyte pieces (what ``.content`` then gives).

    requests reads a body in 10 KiB pieces, each through several layers of Python that
    hold the interpreter lock: about 130 of them for a page of 500 customers, which the
    page threads then take turns for. Errors are raised as ``.content`` raises them.
    """
    if response._content is False:  # not read yet (an answer from the cache is)
        response._content = b"".join(response.iter_content(1 << 20))


def _page_body(response: requests.Response, native: bool) -> Any:
    """A list page's body: as an ``ArrowPage`` when ``native`` and the native decoder
    takes it (``_arrow_pages``, pyarrow installed), else as :func:`_json_body` gives it.

    Runs in the page threads: Arrow parses with the interpreter lock released, so the
    pages decode in parallel with each other and with the network.
    """
    if native and response.content and response.encoding in (None, "utf-8", "UTF-8"):
        from ._arrow_pages import decode_page

        records = decode_page(response.content)
        if records is not None:
            return ArrowPage(records)
    return _json_body(response)


def _strip_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


# -- error answers ----------------------------------------------------------------------
def _parse_error_body(response: requests.Response) -> tuple[Any, str | None, str | None]:
    """``(body, code, message)`` from the API's three error shapes (facts section 5)."""
    try:
        body = response.json()
    except ValueError:
        text = (response.text or "").strip()
        if not text or text.startswith("<"):
            return text or None, None, None  # empty, or an HTML error page
        return text, None, text[:300]
    if isinstance(body, dict):
        code = body.get("ExceptionFaultCode")
        message = (body.get("ExceptionMessage") or body.get("message") or body.get("Message")
                   or body.get("error_description") or body.get("error"))
        if message is None and isinstance(body.get("detail"), str):
            message = body["detail"]
        return body, (str(code) if code not in (None, "") else None), message
    return body, None, None


_DATE_HINT = ("dates must be 'yyyy-MM-dd', 'yyyy-MM-dd HH:mm:ss' or 'yyyy-MM-dd HH:mm:ss.fff' "
              "without a time zone, with ...Condition one of >, <, >=, <= "
              "(vnkit.last_modified builds both)")


def _parameter_hint(message: str, query: list[tuple[str, str]]) -> str | None:
    """If the API's message names a parameter we sent, a hint about that parameter."""
    lowered = message.lower()
    # Longest names first: 'lastModifiedDateTimeCondition' before 'lastModifiedDateTime'.
    for name, value in sorted(query, key=lambda kv: -len(kv[0])):
        if name.lower() not in lowered:
            continue
        if name.lower().endswith("condition") or name.lower().endswith("datetime"):
            return f"check the parameter {name}={value!r}: {_DATE_HINT}"
        if name.lower() == "attributes":
            return (f"check the parameter attributes={value!r}: a JSON object of attribute "
                    "id to exact value; build it with vnkit.attributes({...})")
        return f"check the parameter {name}={value!r}"
    return None


def _not_found_hint(method: str, url: str) -> str:
    """A 404's hint, about what was asked for: a record by its key, or an endpoint."""
    from ._surface import surface

    path = urlsplit(url or "").path
    for version in ("v1", "v2"):
        if f"/{version}/" in path:
            below = path.rsplit(f"/{version}/", 1)[-1]
            hit = surface().match(method or "GET", f"/{version}/{below}")
            break
    else:
        hit = None
    if hit is None:
        return ("the API has no such endpoint: check its name (vnkit.endpoints() lists them "
                "all) and the version")
    _, values = hit
    if values:
        keys = ", ".join(f"{name}={value!r}" for name, value in values.items())
        return (f"no record has this key ({keys}) in the company signed in to: check the "
                "key and client.company; vnkit sends keys with / ? # % & + as "
                "b64(<base64url>), so write them as they are")
    return ("the endpoint exists, but the API answered 404 for it: check the company "
            "(client.company) and that the company uses this module")


def _hint(status: int, code: str | None, message: str | None,
          query: list[tuple[str, str]], method: str = "GET", url: str = "") -> str | None:
    if code == "12002":
        return ("choose a company: client.use_company(company_id); list the companies "
                "this token can reach with client.companies()")
    if code == "12027":
        return ("sign in with the company's tenant id from the Developer Portal (Visma App "
                "Store), not the customer contract's tenant id")
    if status == 400:
        return _parameter_hint(message or "", query)
    if status == 401:
        return ("the API refused the token even after vnkit renewed it: check client_id, "
                "client_secret and that tenant_id is the company's tenant id")
    if status == 403:
        return ("the token lacks the scope (or role) for this call: writes need "
                "vismanet_erp_service_api:create (POST), :update (PUT) or :delete (DELETE); "
                "connect with scopes='all' or e.g. scopes=('read', 'create'), and make sure "
                "the application has those scopes in the Developer Portal")
    if status == 404:
        return _not_found_hint(method, url)
    if status == 412:
        return "the record changed since it was read (ETag): read it again and retry"
    if status >= 500:
        return ("the API failed (safe calls were already retried); try again later, and quote "
                "the request id to Visma support if it persists")
    return None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _never_sent(exc: Exception) -> bool:
    """Whether the request surely never reached the server (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    from urllib3.exceptions import NewConnectionError

    return isinstance(reason, NewConnectionError) or isinstance(exc.args[0] if exc.args
                                                                else None, NewConnectionError)


def _transport_hint(method: str, url: str, exc: Exception) -> tuple[str, str]:
    """``(what happened, hint)`` for a request that got no answer."""
    local = urlsplit(url).hostname in _LOOPBACK
    where = ("check that the sandbox still runs (sandbox.url answers; vnkit.sandbox.start() "
             "starts it again)" if local else
             "check the network and the API URL (client.environment.api_url)")
    if method in ("POST", "PUT", "DELETE", "PATCH") and not _never_sent(exc):
        # The request may have been carried out before the answer was lost: a blind
        # repeat of a create makes a second record.
        change = {"POST": "the create (or action)", "PUT": "the update",
                  "DELETE": "the delete", "PATCH": "the change"}[method]
        return (f"{change} may have been carried out: the answer was lost",
                "before sending it again, look for the record: read it by its key "
                "(client.get('<resource>/<key>')) or list the resource filtered on the "
                "externalReference (or customerRefNumber) you gave it, or on "
                "lastModifiedDateTime; retry only if it is not there. Then " + where)
    return "nothing was received", where


def _about_this_host(error: TransportError, url: str) -> TransportError:
    """``error`` with a hint that names a sandbox only when ``url`` is one (loopback)."""
    if urlsplit(url).hostname not in _LOOPBACK and "sandbox" in (error.hint or ""):
        error.hint = ("check the network and the sign-in URL "
                      "(client.environment.connect_url)")
    return error


@contextlib.contextmanager
def _transport_errors(method: str, url: str) -> Iterator[None]:
    """Turn requests' connection failures into ``TransportError`` (after urllib3's retries).

    The hint is about this request: a write whose answer was lost may have been carried
    out (so: check before retrying), and only a loopback URL is a sandbox.
    """
    try:
        yield
    except TransportError as exc:  # the sign-in service, reached while signing a request
        raise _about_this_host(exc, url) from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        what, hint = _transport_hint(method, url, exc)
        raise TransportError(f"no answer to {method} {_strip_query(url)} "
                             f"({type(exc).__name__}): {what}", hint=hint) from None


def raise_for_answer(response: requests.Response) -> None:
    """Raise the ``ApiError`` subclass for an error answer; do nothing for 1xx-3xx."""
    status = response.status_code
    if status < 400:
        return
    body, code, message = _parse_error_body(response)
    request = response.request
    url = request.url if request is not None and request.url else response.url
    query = parse_qsl(urlsplit(url or "").query, keep_blank_values=True)
    cls = error_class_for(status)
    # a sent request always has its method (requests types it Optional)
    method = request.method if request is not None and request.method else None
    hint = _hint(status, code, message, query, method or "GET", url or "")
    if cls is RateLimitError:
        wait = _retry_after(response)
        reset = response.headers.get("X-RateLimit-Reset")
        hint = ("the hourly call budget for this client and company is spent"
                + (f"; the API asks to wait {wait:.0f} s" if wait is not None else "")
                + (f"; the window resets in {reset} s" if reset else "")
                + "; lower max_workers or fetch less (filter on lastModifiedDateTime)")
    error = cls(status, message, code=code, method=method or "",
                url=_strip_query(url or ""), request_id=response.headers.get("Ipp-Request-Id"),
                hint=hint, body=body)
    if isinstance(error, RateLimitError):
        error.retry_after = _retry_after(response)
    raise error


# -- companies ---------------------------------------------------------------------------
def _company_record(item: Any) -> tuple[str, Any, str | None]:
    """``(name, company_id, tenant_id)`` from a sandbox company record of any shape."""
    if isinstance(item, Mapping):
        return (str(item.get("name")), item.get("company_id", item.get("id")),
                item.get("tenant_id"))
    if hasattr(item, "company_id"):
        return str(item.name), item.company_id, getattr(item, "tenant_id", None)
    name, company_id, tenant_id = tuple(item)[:3]
    return str(name), company_id, tenant_id


class Client:
    """A signed-in session to the Visma.net ERP API; most users get one from ``connect``.

    Parameters
    ----------
    environment : Environment, optional
        Where the API is (default: ``VNKIT_ENV``, else production).
    credentials : ServiceCredentials, optional
        Service API sign-in (client credentials). Either this or ``auth``.
    company : int or str, optional
        Company (context) id sent as ``ipp-company-id``, or a company name to look up.
    auth : requests.auth.AuthBase, optional
        Any other sign-in (a later interactive or legacy flow); replaces ``credentials``.
    max_workers : int
        Threads fetching pages concurrently after page 1 (default 4).
    progress : bool
        Show a progress bar (pages) on multi-page fetches.
    adapter : requests.adapters.BaseAdapter, optional
        Transport mounted for ``http://`` and ``https://``; tests swap in a fake. The
        default pools connections and retries 429/5xx for safe methods.
    token_store : TokenStore, optional
        Where tokens are kept (default: in memory).
    timeout : float or (float, float)
        Seconds to connect / to wait for an answer.
    companies : iterable, optional
        Known ``(name, company_id, tenant_id)`` records (a sandbox's), so that
        ``use_company`` can switch tenant and accept names without a request.

    Attributes
    ----------
    budget : RateBudget
        The hourly call budget as the latest answer reported it (``X-RateLimit-*``).
    cache : HttpCache
        Whether GET answers are cached (``enable_cache``); off by default.

    Examples
    --------
    >>> with vnkit.connect(sandbox) as client:            # doctest: +SKIP
    ...     customers = client.fetch("customer", status="Active")
    """

    def __init__(self, environment: Environment | None = None,
                 credentials: ServiceCredentials | None = None, *,
                 company: int | str | None = None,
                 auth: requests.auth.AuthBase | None = None,
                 max_workers: int = 4, progress: bool = True,
                 adapter: BaseAdapter | None = None, token_store: TokenStore | None = None,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 companies: Iterable[Any] | None = None):
        from . import __version__

        self.environment = environment or Environment.from_env()
        self.credentials = credentials
        if int(max_workers) < 1:
            raise ConfigurationError(f"max_workers must be at least 1, not {max_workers!r}")
        self.max_workers = int(max_workers)
        self.progress = progress
        self.timeout = timeout
        self.last_pager: Pager | None = None  # the latest paged run, for inspection
        self._directory = [_company_record(c) for c in (companies or [])]
        self.session = requests.Session()
        self.session.headers.update({
            "Accept": "application/json",
            "ipp-application-type": APPLICATION_TYPE,
            "User-Agent": f"vnkit/{__version__} {requests.utils.default_user_agent()}",
        })
        self._adapter = adapter or default_adapter(self.max_workers)
        self.session.mount("https://", self._adapter)
        self.session.mount("http://", self._adapter)
        if auth is None:
            if credentials is None:
                raise ConfigurationError(
                    "Client needs credentials (ServiceCredentials) or an auth object",
                    hint="use vnkit.connect(...), which reads them from arguments, "
                         "environment variables or a running sandbox")
            auth = ClientCredentialsAuth(credentials, self.environment, store=token_store,
                                         adapter=adapter)
        self.session.auth = auth
        # The rate budget reads every answer's X-RateLimit headers (see _budget).
        self.budget = RateBudget()
        self.session.hooks["response"].append(self.budget.observe)
        self._http_cache = HttpCache()  # off until enable_cache (see _cache)
        self._plain_session: requests.Session | None = None
        self.company: int | str | None = None
        self.company_name: str | None = None
        if company is not None:
            self.use_company(company)

    # -- lifecycle -----------------------------------------------------------------------
    def __repr__(self) -> str:
        company = "none" if self.company is None else repr(self.company)
        if self.company_name:
            company += f" ({self.company_name})"
        return (f"<vnkit.Client {self.environment.name} {self.environment.api_url} "
                f"company={company}>")

    def close(self) -> None:
        """Close the connections (the client cannot be used afterwards)."""
        self.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def sign_in(self) -> Client:
        """Get a token now (``connect`` does this), so bad credentials fail here."""
        token = getattr(self.session.auth, "token", None)
        if callable(token):
            try:
                token()
            except TransportError as exc:
                raise _about_this_host(exc, self.environment.connect_url) from None
        return self

    # -- companies -----------------------------------------------------------------------
    def companies(self) -> pd.DataFrame:
        """The companies this sign-in can reach (``GET resources/v1/context``).

        Returns
        -------
        pandas.DataFrame
            One row per company: ``id``, ``name``, ``type``.
        """
        from ._frames import to_frame

        return to_frame(self._context_list(), parse_dates=False)

    def _context_list(self) -> list[dict[str, Any]]:
        # The company list needs no company: leave ipp-company-id out of this call.
        response = self.request("GET", self.environment.context_url(),
                                headers={"ipp-company-id": None})
        body = response.json() if response.content else []
        return body if isinstance(body, list) else [body]

    def use_company(self, company: int | str) -> Client:
        """Send ``ipp-company-id`` for ``company`` (an id, or a name to look up).

        With a sandbox (or any client that knows each company's tenant) this also signs
        in to that company's tenant, since a service token is bound to one tenant.
        """
        name, company_id, tenant_id = self._resolve_company(company)
        if (tenant_id is not None and self.credentials is not None
                and str(tenant_id) != self.credentials.tenant_id
                and isinstance(self.session.auth, ClientCredentialsAuth)):
            self.credentials = self.credentials.with_tenant(str(tenant_id))
            self.session.auth.set_credentials(self.credentials)
        return self._select(name, company_id)

    def _select(self, name: str | None, company_id: Any) -> Client:
        self.company = company_id
        self.company_name = name
        self.session.headers["ipp-company-id"] = str(company_id)
        return self

    def _resolve_company(self, company: int | str) -> tuple[str | None, Any, str | None]:
        wanted = str(company).strip()
        if not wanted:
            raise ConfigurationError("company is empty", hint="pass a company id or name")
        for name, company_id, tenant_id in self._directory:
            if str(company_id) == wanted or name.casefold() == wanted.casefold():
                return name, company_id, tenant_id
        if self._directory:
            raise ConfigurationError(
                f"unknown company {company!r}",
                hint="choose one of: " + ", ".join(
                    f"{n!r} (id {c})" for n, c, _ in self._directory))
        if wanted.isdigit():
            return None, (int(wanted) if isinstance(company, str) else company), None
        # A name without a directory: ask the API which companies the token reaches.
        found = self._context_list()
        for item in found:
            if str(item.get("name", "")).casefold() == wanted.casefold():
                return str(item["name"]), item.get("id"), None
        listing = ", ".join(f"{c.get('name')!r} (id {c.get('id')})" for c in found)
        raise ConfigurationError(f"unknown company {company!r}",
                                 hint=f"choose one of: {listing or '(none reachable)'}")

    # -- raw calls -----------------------------------------------------------------------
    def _resolve(self, path: str, version: str) -> tuple[str, str]:
        """``(absolute URL, endpoint path below the version root)`` of ``path``."""
        if not isinstance(path, str) or not path.strip("/ "):
            raise FilterError("endpoint", f"{path!r} is not an endpoint path",
                              hint="e.g. 'customer' or 'customer/10001/invoice'")
        if path.startswith(("http://", "https://")):
            return path, urlsplit(path).path.rsplit(f"/{version}/", 1)[-1]
        if "?" in path:
            raise FilterError("endpoint", f"{path!r} contains a query string",
                              hint="pass filters as keyword arguments: "
                                   "client.fetch('customer', status='Active')")
        clean = path.strip("/ ")
        head, _, rest = clean.partition("/")
        if head.lower() in ("v1", "v2") and rest:
            version, clean = head.lower(), rest
        return self.environment.endpoint_url(clean, version), clean

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, version: str = "v1",
                headers: Mapping[str, str | None] | None = None) -> requests.Response:
        """Send one request and return the answer; error answers raise ``ApiError``.

        Parameters
        ----------
        method : str
            HTTP method.
        path : str
            Endpoint path below the version root (``customer/10001``), optionally
            starting with ``v1/``/``v2/``, or an absolute URL (e.g. a ``Location``).
        params : mapping, optional
            Query parameters; dates, bools and ``attributes`` mappings are encoded, strings
            are sent as given.
        json : object, optional
            JSON body.
        version : {"v1", "v2"}
            API version when ``path`` does not say.
        headers : mapping, optional
            Extra headers for this request (``None`` removes a session header).

        Raises
        ------
        ApiError
            A subclass per status (``BadRequestError``, ``NotFoundError`` ...), with a hint.
        """
        url, _ = self._resolve(path, version)
        query = encode_params(params or {}, strict=False)
        with _transport_errors(method.upper(), url):
            response = self.session.request(method.upper(), url, params=query, json=json,
                                            headers=dict(headers or {}), timeout=self.timeout)
        raise_for_answer(response)
        return response

    # -- Background API (logic in _background) ----------------------------------------
    def submit(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
               json: Any = None, version: str = "v1", notify: Any = None) -> BackgroundJob:
        """Send a request as a Background API job (article 15); returns at once.

        Parameters
        ----------
        method, path, params, json, version
            As in :meth:`request`.
        notify : None, "subscription", mapping, or str URL
            How the API should tell you it is done: None (poll ``job.status()``),
            ``"subscription"`` (a ``BACKGROUND_API_RESPONSE`` webhook), a mapping of
            headers to echo on that webhook, or (deprecated) a webhook URL.

        Returns
        -------
        BackgroundJob
            ``wait()``, ``status()``, ``result()`` (DataFrame for list GETs).
        """
        from ._background import submit

        return submit(self, method, path, params=params, json=json, version=version,
                      notify=notify)

    @property
    def background(self) -> BackgroundJobs:
        """Background jobs: ``client.background.get(job_id)``, ``.submit(...)``."""
        from ._background import BackgroundJobs

        return BackgroundJobs(self)

    def get(self, path: str, *, version: str = "v1",
            unchecked: Mapping[str, Any] | None = None, **params: Any) -> Any:
        """``GET`` ``path`` with ``params``; returns the parsed JSON.

        No paging: use it to see exactly what the API answers (for whole lists use
        :meth:`fetch`). The endpoint and the parameter names and types are checked
        against the API's surface first (an unknown name raises ``FilterError``, since
        the API would ignore it); strings of dates and operators are sent as written.
        ``unchecked`` parameters are sent as given, for ones newer than vnkit's copy of
        the API; :meth:`request` sends anything at all.
        """
        url, query = self._checked_call(path, version, params, unchecked, listing=False,
                                        strict=False)
        response = self.request("GET", url, params=query, version=version)
        return response.json() if response.content else None

    def _checked_call(self, endpoint: Any, version: str, params: Mapping[str, Any],
                      unchecked: Mapping[str, Any] | None, *, listing: bool,
                      strict: bool) -> tuple[str, dict[str, Any]]:
        """``(URL, encoded query)`` of a read, checked against the surface (``_params``)."""
        from ._params import check_query, resolve

        call, used = resolve("GET", endpoint, version, values=params, listing=listing)
        rest = {k: v for k, v in params.items() if k not in used}
        if call.operation is None:  # an absolute URL outside the API: as given
            query = encode_params(rest, strict=strict)
            url = call.path
        else:
            query = check_query(call.operation, rest, strict=strict, endpoint=call.path)
            url = self.environment.endpoint_url(call.path, call.version)
        if unchecked is not None:
            if not isinstance(unchecked, Mapping):
                raise FilterError("unchecked", f"a {type(unchecked).__name__} is not a "
                                  "mapping", hint="pass unchecked={'name': value}")
            for name, value in encode_params(unchecked, strict=False).items():
                if any(name.lower() == k.lower() for k in query):
                    raise FilterError(name, "is given twice (checked and unchecked)")
                query[name] = value
        return url, query

    # -- writes (vnkit._writes) ----------------------------------------------------------
    def create(self, resource: str, values: Mapping[str, Any], *,
               version: str | None = None) -> str:
        """Create a record; returns its key from ``Location``. Never retried (a POST)."""
        from ._writes import create

        return create(self, resource, values, version=version)

    def update(self, resource: str, key: Any, values: Mapping[str, Any]) -> None:
        """Change the given fields of one record (PUT, partial)."""
        from ._writes import update

        update(self, resource, key, values)

    def delete(self, resource: str, key: Any) -> None:
        """Delete one record where the API allows it."""
        from ._writes import delete

        delete(self, resource, key)

    def action(self, resource: str, key: Any, name: str, body: Any = None) -> dict:
        """Run an action (``release`` ...) on one record; returns the action result."""
        from ._writes import action

        return action(self, resource, key, name, body)

    # -- paged reads ---------------------------------------------------------------------
    def pages(self, endpoint: str, *, version: str = "v1", progress: bool | None = None,
              unchecked: Mapping[str, Any] | None = None, **filters: Any) -> Pager:
        """A lazy iterator over the pages of a list endpoint.

        The endpoint and the filters are checked against the API's surface and encoded
        now, before any request (an unknown parameter name raises ``FilterError``: the
        API would ignore it and return everything); nothing is requested until iteration
        starts. ``pageSize`` may be given (it is kept constant; default: the endpoint's
        maximum); ``pageNumber`` may not. ``{name}`` path parameters may be given as
        keywords: ``pages("customer/{customerCd}/contact", customerCd="10001")``.

        Parameters
        ----------
        unchecked : mapping, optional
            Parameters sent exactly as given, without checks: for a parameter newer
            than vnkit's copy of the API.

        Returns
        -------
        Pager
            Yields ``Page(number, records, total_count, max_page_size)`` in page order.
        """
        url, params = self._checked_call(endpoint, version, filters, unchecked,
                                         listing=True, strict=True)
        path = url  # below the version root, for the endpoint's key and in messages
        for v in ("v1", "v2"):
            if f"/{v}/" in url:
                path = url.rsplit(f"/{v}/", 1)[-1]
                break
        page_size = None
        for name in list(params):
            if name.lower() == "pagenumber":
                raise FilterError(name, "vnkit requests every page itself",
                                  hint="use client.get(endpoint, pageNumber=..., pageSize=...) "
                                       "for a single page")
            if name.lower() == "pagesize":
                value = params.pop(name)
                text = str(value) if isinstance(value, int | str) and \
                    not isinstance(value, bool) else ""
                if not text.isascii() or not text.strip().isdigit() or int(text) < 1:
                    raise FilterError(name, f"{value!r} is not a positive whole number",
                                      hint="e.g. pageSize=100 (or leave it out: the "
                                           "endpoint's maximum)")
                page_size = int(text)
        company = self.session.headers.get("ipp-company-id")
        if isinstance(company, bytes):  # set by hand as bytes: the same id as text
            company = company.decode("latin-1")
        headers = {"ipp-company-id": company}

        def fetch_page(query: dict[str, Any]) -> requests.Response:
            # The company is fixed for the whole run, even if use_company is called.
            with _transport_errors("GET", url):
                response = self.session.get(url, params=query, headers=headers,
                                            timeout=self.timeout, stream=True)
                _read_body(response)
            raise_for_answer(response)
            return response

        def decode(response: requests.Response, native: bool) -> Any:
            # In the page thread, after the request has left the wire (see Pager).
            return _page_body(response, native)

        retry = getattr(self._adapter, "max_retries", None)
        pager = Pager(fetch_page, path, params, info=_endpoints.lookup(path),
                      page_size=page_size, max_workers=self.max_workers,
                      progress=self.progress if progress is None else progress,
                      budget=self.budget.scoped(headers["ipp-company-id"]),
                      max_wait=getattr(retry, "max_wait", VnkitRetry.MAX_WAIT),
                      decode=decode)
        self.last_pager = pager
        return pager

    def records(self, endpoint: str, *, on_incomplete: str = "raise", version: str = "v1",
                progress: bool | None = None, unchecked: Mapping[str, Any] | None = None,
                **filters: Any) -> list[dict[str, Any]]:
        """Every record of a list endpoint, as the API returns them, de-duplicated.

        Parameters
        ----------
        endpoint : str
            ``customer``, ``supplierInvoice``, ``customer/10001/invoice`` ...
        on_incomplete : {"raise", "warn"}
            What to do when fewer unique records than ``totalCount`` arrive.
        **filters
            Query parameters: ``status="Active"``,
            ``lastModifiedDateTime=(">=", date(2020, 1, 14))``,
            ``attributes={"COLOR": "RED"}`` ...

        Raises
        ------
        FilterError
            A filter the API would refuse (before any request).
        IncompleteResultError
            A page failed, or records are missing (see ``on_incomplete``). When the
            shortfall came from records moving while the pages were read (the
            ``totalCount`` changed mid-run), the run is first read again, up to three
            passes, until one holds still.
        """
        self.pages(endpoint, version=version, progress=progress, unchecked=unchecked,
                   **filters)  # check now
        return collect_stable(
            lambda: self.pages(endpoint, version=version, progress=progress,
                               unchecked=unchecked, **filters),
            on_incomplete=on_incomplete)

    # -- the API's surface (offline; logic in _describe) ---------------------------------
    def describe(self, endpoint: str, method: str | None = None, *,
                 version: str = "v1") -> pd.DataFrame:
        """The parameters and fields of one endpoint, as ``vnkit.describe`` (no request)."""
        from ._describe import describe

        return describe(endpoint, method, version=version)

    def endpoints(self, search: str | None = None, *, method: str | None = None
                  ) -> pd.DataFrame:
        """Every operation of the API, as ``vnkit.endpoints`` (no request)."""
        from ._describe import endpoints

        return endpoints(search, method=method)

    # -- HTTP cache (logic in _cache) -----------------------------------------------------
    @property
    def cache(self) -> HttpCache:
        """Whether answers are cached: ``<HttpCache off>`` or where and for how long."""
        return self._http_cache

    def enable_cache(self, cache: Any = True, *, expire_after: Any = 600) -> HttpCache:
        """Keep GET answers (status 200) in a SQLite file, so re-runs spend no calls.

        Parameters
        ----------
        cache : True or path
            ``True`` for ``http-cache.sqlite`` in vnkit's cache folder, or a file path.
        expire_after : float or timedelta
            How long an answer stays valid (default ten minutes).

        Writes, errors and token calls are never cached; the key holds the company and
        the client id but not the bearer token. ``client.cache.disable()`` turns it off.
        """
        from ._cache import enable_cache

        if self._http_cache.enabled:
            self.disable_cache()
        return enable_cache(self, cache, expire_after)

    def disable_cache(self) -> None:
        """Send every request to the API again (the stored answers stay on disk)."""
        from ._cache import disable_cache

        disable_cache(self)

    def fetch(self, endpoint: str, *, on_incomplete: str = "raise", parse_dates: bool = True,
              version: str = "v1", progress: bool | None = None,
              unchecked: Mapping[str, Any] | None = None,
              on_page: Callable[[Any, Pager], None] | None = None,
              **filters: Any) -> pd.DataFrame:
        """Every record of a list endpoint as a DataFrame.

        Paging is handled (see ``Client.pages``); nested objects become dotted columns,
        lists stay list cells, date-time columns are parsed, ``metadata`` is dropped.
        Parameters as in :meth:`records`, plus ``parse_dates`` and ``on_page``: called
        with ``(page, pager)`` as each page is handed out (the Explorer's progress bar;
        ``pager.total_count`` and ``pager.page_size`` tell how many pages to expect).

        While the pages come in, Python's cyclic garbage collector is paused (and put
        back as it was when the last run in the process ends): decoded pages are many
        small objects that it would otherwise walk again and again for nothing.

        Examples
        --------
        >>> client.fetch("customer", status="Active")                   # doctest: +SKIP
        >>> client.fetch("supplier", lastModifiedDateTime=(">=", "2020-01-14"))  # doctest: +SKIP
        >>> client.fetch("inventory", attributes={"COLOR": "RED"})      # doctest: +SKIP
        """
        from ._frames import PageFrames, combine

        self.pages(endpoint, version=version, progress=progress, unchecked=unchecked,
                   **filters)  # check now
        # Pages arrive decoded by Arrow where the native decoder (pyarrow) takes them:
        # parsed in the page threads, off the interpreter lock. PageFrames turns them
        # into the DataFrame's parts on a thread of its own while later pages are still
        # on the wire. One PageFrames per pass; the pass finally accepted is joined below.
        passes: list[PageFrames] = []
        worker = ThreadPoolExecutor(1, thread_name_prefix="vnkit-frame")

        def make_pager() -> Pager:
            pager = self.pages(endpoint, version=version, progress=progress,
                               unchecked=unchecked, **filters)
            parts = PageFrames(worker)
            passes.append(parts)

            def handed_out(page: Any) -> None:
                parts.add(page)
                if on_page is not None:
                    on_page(page, pager)

            pager.on_page = handed_out
            pager.native_pages = True
            return pager

        # The collector stays off until the decoded records are gone (see
        # cyclic_gc_paused), so that it never walks them at all.
        with cyclic_gc_paused():
            try:
                keep = collect_stable(make_pager, on_incomplete=on_incomplete,
                                      keep_records=False)
                # The pass collect_stable accepted is the last one it made.
                frames = passes[-1].frames()
            finally:
                worker.shutdown(wait=False, cancel_futures=True)
                passes.clear()
            return combine(frames, keep=keep, parse_dates=parse_dates)

    # -- attachments (article 18; the logic lives in _attachments) -------------------------
    def attach(self, resource: str, key: Any, file_or_bytes: Any, *,
               filename: str | None = None, line: int | None = None,
               document_type: str | None = None) -> str:
        """Upload one file to a document or item; returns the attachment id.

        Parameters
        ----------
        resource : str
            ``customerinvoice``, ``customerCreditNote``, ``customerDebitNote``,
            ``supplierInvoice``, ``inventory`` ... (customer, supplier and purchase
            order have no upload endpoint).
        key : str or int
            The document or item number; keys with reserved characters are sent as
            ``b64(...)``.
        file_or_bytes : path, binary file object or bytes
            The file; bytes need ``filename``.
        filename : str, optional
            Name stored with the file (default: the path's or file object's name).
            Uploading a name the document already has makes a new revision.
        line : int, optional
            Attach to this line of the document instead of the whole document.
        document_type : str, optional
            ``supplierInvoice`` only: address it as ``documentType/{type}/{number}``.

        Returns
        -------
        str
            The attachment id (the last segment of the answer's ``Location``).

        Raises
        ------
        FilterError
            A bad argument (before any request).
        ApiError
            The API refused the upload (never retried: a repeat is a new revision).
        """
        from ._attachments import attach

        return attach(self, resource, key, file_or_bytes, filename=filename, line=line,
                      document_type=document_type)

    def download_attachment(self, attachment_id: str, *, to: Any = None) -> bytes:
        """The latest revision of an attachment, byte for byte (``GET attachment/{id}``).

        With ``to`` (a file path) the bytes are also written there, atomically.
        """
        from ._attachments import download_attachment

        return download_attachment(self, attachment_id, to=to)

    def update_attachment(self, attachment_id: str, *,
                          send_to_autoinvoice: bool = True) -> None:
        """Set ``sendToAutoinvoice`` of an attachment (``PUT attachment/{id}``, 204)."""
        from ._attachments import update_attachment

        update_attachment(self, attachment_id, send_to_autoinvoice=send_to_autoinvoice)


# -- the latest client, for the %vn magic ---------------------------------------------------
_latest: Any = None  # a weak reference: remembering a client must not keep it open


def remember(client: Client) -> Client:
    """Make ``client`` the one the ``%vn`` magic uses (``connect`` and the login widget
    call this for each client they sign in)."""
    import weakref

    global _latest
    _latest = weakref.ref(client)
    return client


def latest_client() -> Client | None:
    """The client ``connect`` or a login widget signed in last (None if none, or gone)."""
    return _latest() if _latest is not None else None


# -- connect --------------------------------------------------------------------------------
def _is_sandbox_handle(target: Any) -> bool:
    return hasattr(target, "url") and hasattr(target, "credentials")


# The service flow (the default) gives a Client; the user flows give a pending SignIn.
@overload
def connect(target: Any = None, *, company: int | str | None = None,
            client_id: str | None = None, client_secret: str | None = None,
            tenant_id: str | None = None, scopes: str | Iterable[str] | None = None,
            environment: Environment | str | None = None, max_workers: int = 4,
            progress: bool = True, adapter: BaseAdapter | None = None,
            token_store: TokenStore | None = None, flow: Literal["service"] = "service",
            redirect_uri: str | None = None, cache: Any = False,
            expire_after: Any = 600) -> Client: ...


@overload
def connect(target: Any = None, *, company: int | str | None = None,
            client_id: str | None = None, client_secret: str | None = None,
            tenant_id: str | None = None, scopes: str | Iterable[str] | None = None,
            environment: Environment | str | None = None, max_workers: int = 4,
            progress: bool = True, adapter: BaseAdapter | None = None,
            token_store: TokenStore | None = None, flow: str,
            redirect_uri: str | None = None, cache: Any = False,
            expire_after: Any = 600) -> Client | SignIn: ...


def connect(target: Any = None, *, company: int | str | None = None,
            client_id: str | None = None, client_secret: str | None = None,
            tenant_id: str | None = None, scopes: str | Iterable[str] | None = None,
            environment: Environment | str | None = None, max_workers: int = 4,
            progress: bool = True, adapter: BaseAdapter | None = None,
            token_store: TokenStore | None = None, flow: str = "service",
            redirect_uri: str | None = None, cache: Any = False,
            expire_after: Any = 600) -> Client | SignIn:
    """Sign in and return a ``Client``, in one line.

    Parameters
    ----------
    target : sandbox handle, Environment, str or None
        A running sandbox (``vnkit.sandbox.start()``: its URL, demo credentials and
        companies are used); an ``Environment``; ``"production"``, ``"legacy"`` or a
        sandbox URL; or None for ``VNKIT_ENV`` (default production).
    company : int or str, optional
        Company id or name. With a sandbox, the default is its first company and the
        company decides the tenant signed in to. Default elsewhere: ``VNKIT_COMPANY_ID``.
    client_id, client_secret, tenant_id : str, optional
        Override the sandbox's or the ``VNKIT_CLIENT_ID`` / ``VNKIT_CLIENT_SECRET`` /
        ``VNKIT_TENANT_ID`` values.
    scopes : str or iterable of str, optional
        Visma Connect scopes (default ``VNKIT_SCOPES``, else read-only); short names
        such as ``"read"`` are expanded.
    environment : Environment or str, optional
        Overrides the environment implied by ``target``.
    max_workers : int
        Concurrent page requests after page 1.
    progress : bool
        Progress bars on multi-page fetches.
    adapter, token_store
        Transport and token storage (see ``Client``; ``vnkit.FileTokenStore()`` keeps
        tokens in a private file).
    flow : {"service", "interactive", "legacy"}
        ``"service"`` (default): client credentials, returns a ``Client``.
        ``"interactive"`` (a user signs in: Visma Connect authorization code with PKCE)
        or ``"legacy"`` (the retired VNI flow of article 03) return a pending
        ``vnkit.SignIn`` instead: open its ``url``, then ``wait()`` for the redirect
        listener or ``finish(redirect_url)``; both give the ``Client``.
    redirect_uri : str, optional
        User flows only: the registered redirect URI (default: a loopback listener).
    cache : bool or path
        Keep GET answers in a local HTTP cache (``True``: vnkit's cache folder, or a
        file path) for ``expire_after`` seconds; see ``Client.enable_cache``.

    Returns
    -------
    Client
        Signed in (a token was fetched), with ``ipp-company-id`` set if a company is known.
        (A ``SignIn`` for the user flows.)

    Raises
    ------
    ConfigurationError
        Missing credentials, an unknown environment or company name (before any request
        where it can be told without one).
    AuthError
        Visma Connect refused the sign-in.

    Examples
    --------
    >>> sandbox = vnkit.sandbox.start()                 # doctest: +SKIP
    >>> client = vnkit.connect(sandbox, company="Nordic Widgets AS")  # doctest: +SKIP
    >>> client = vnkit.connect()  # VNKIT_* environment variables, production  # doctest: +SKIP
    """
    if flow != "service":
        if flow not in ("interactive", "legacy"):
            raise ConfigurationError(f"unknown flow {flow!r}",
                                     hint="use 'service', 'interactive' or 'legacy'")
        from ._interactive import begin

        return begin(target, flow=flow, client_id=client_id, client_secret=client_secret,
                     scopes=scopes, redirect_uri=redirect_uri, company=company,
                     environment=environment, token_store=token_store,
                     max_workers=max_workers, progress=progress, adapter=adapter)
    if redirect_uri is not None:
        raise ConfigurationError("redirect_uri is for the user flows",
                                 hint="pass flow='interactive' or flow='legacy'")
    directory: list[tuple[str, Any, str | None]] = []
    if _is_sandbox_handle(target):
        env = Environment.sandbox(str(target.url))
        creds_obj = target.credentials
        directory = [_company_record(c) for c in getattr(creds_obj, "companies", ())]
        if not directory:
            raise ConfigurationError("the sandbox handle lists no companies",
                                     hint="start the sandbox with its demo data (reset=True)")
        wanted = directory[0][1] if company is None else company
        matches = [d for d in directory
                   if str(d[1]) == str(wanted).strip()
                   or d[0].casefold() == str(wanted).strip().casefold()]
        if not matches:
            raise ConfigurationError(
                f"the sandbox has no company {company!r}",
                hint="choose one of: " + ", ".join(f"{n!r} (id {c})" for n, c, _ in directory))
        name, company_id, company_tenant = matches[0]
        if company_tenant is None and callable(getattr(creds_obj, "tenant_id", None)):
            company_tenant = creds_obj.tenant_id(company_id)
        credentials = ServiceCredentials(
            client_id or creds_obj.client_id, client_secret or creds_obj.client_secret,
            str(tenant_id or company_tenant), normalise_scopes(
                scopes if scopes is not None else getattr(creds_obj, "scopes", None)))
        selected: tuple[str, Any] | None = (name, company_id)
    else:
        selected = None
        if isinstance(target, Environment):
            env = target
        elif isinstance(target, str):
            env = Environment.from_name(target)
        elif target is None:
            env = None
        else:
            raise ConfigurationError(
                f"connect() cannot use a {type(target).__name__} as its target",
                hint="pass a sandbox handle (vnkit.sandbox.start()), an Environment, "
                     "'production', 'legacy' or a sandbox URL")
        if env is None and environment is None:
            env = Environment.from_env()
        credentials = ServiceCredentials.from_env(
            client_id=client_id, client_secret=client_secret, tenant_id=tenant_id,
            scopes=scopes if scopes is None or isinstance(scopes, str) else " ".join(scopes))
        if company is None:
            company = company_from_env()
    if environment is not None:
        env = environment if isinstance(environment, Environment) else \
            Environment.from_name(environment)
    client = Client(env, credentials, max_workers=max_workers, progress=progress,
                    adapter=adapter, token_store=token_store, companies=directory)
    try:
        if cache is not False and cache is not None:
            client.enable_cache(cache, expire_after=expire_after)
        client.sign_in()
        if selected is not None:
            # The tenant was chosen above (possibly overridden): do not switch it here.
            client._select(*selected)
        elif company is not None:
            client.use_company(company)
    except BaseException:
        client.close()
        raise
    return remember(client)
