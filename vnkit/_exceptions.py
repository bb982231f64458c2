"""The exceptions vnkit raises.

::

    VnkitError
    ├── ConfigurationError (also ValueError)   bad settings or credentials, before any request
    ├── FilterError (also ValueError)          a filter or query value the API would refuse
    ├── PayloadError (also TypeError, ValueError) a request-body value that cannot be sent
    ├── AuthError                              the sign-in service refused to issue a token
    ├── TransportError                         the API or the sign-in service could not be reached
    ├── ApiError                               the API answered with an error status
    │   ├── BadRequestError        400 (validation, IPPException such as 12002)
    │   ├── UnauthorizedError      401 (missing, unknown or expired token)
    │   ├── ForbiddenError         403 (scope or role missing)
    │   ├── NotFoundError          404
    │   ├── RateLimitError         429
    │   └── ServerError            5xx
    └── IncompleteResultError                  a paged fetch could not account for every record

    IncompleteResultWarning (UserWarning)      the same, when ``on_incomplete="warn"``

Every error carries a ``hint``: one sentence on how to fix the call. Secrets never appear
in messages: URLs are shown without query strings that could hold credentials, and bodies
are the API's own error text.
"""

from __future__ import annotations


class VnkitError(Exception):
    """Base class of every error vnkit raises on purpose."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\nHINT: {self.hint}"
        return self.message


class ConfigurationError(VnkitError, ValueError):
    """Settings or credentials are missing or malformed; raised before any request."""


class FilterError(VnkitError, ValueError):
    """A filter value the API would refuse; raised before any request.

    Attributes
    ----------
    parameter : str
        The query parameter at fault (``lastModifiedDateTime``, ``attributes`` ...).
    """

    def __init__(self, parameter: str, message: str, *, hint: str | None = None):
        super().__init__(f"{parameter}: {message}", hint=hint)
        self.parameter = parameter


class PayloadError(VnkitError, TypeError, ValueError):
    """A request-body value that cannot be sent (``payload``, ``line``, ``action``).

    Also a ``TypeError`` and a ``ValueError``, which is what vnkit raised for these
    before it had a class of its own.

    Attributes
    ----------
    field : str
        Where in the body (``mainAddress.city``, ``invoiceLines[0].quantity``).
    """

    def __init__(self, field: str, message: str, *, hint: str | None = None):
        super().__init__(f"{field}: {message}" if field else message, hint=hint)
        self.field = field


class AuthError(VnkitError):
    """The token endpoint refused to sign in (``invalid_client``, ``invalid_scope`` ...).

    Attributes
    ----------
    error : str or None
        The OAuth ``error`` code.
    description : str or None
        The OAuth ``error_description``.
    """

    def __init__(self, message: str, *, error: str | None = None,
                 description: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.error = error
        self.description = description


class TransportError(VnkitError):
    """No answer: the connection was refused, dropped or timed out."""


class ApiError(VnkitError):
    """The API answered with an error status.

    Attributes
    ----------
    status : int
        HTTP status code.
    code : str or None
        The API's own code where it gives one (``ExceptionFaultCode`` such as ``12002``).
    api_message : str or None
        The API's message text (from ``ExceptionMessage``, ``message`` or ``Message``).
    method, url : str
        The request that failed (the URL without its query string).
    request_id : str or None
        ``Ipp-Request-Id`` of the answer, for support cases.
    """

    def __init__(self, status: int, api_message: str | None, *, code: str | None = None,
                 method: str = "", url: str = "", request_id: str | None = None,
                 hint: str | None = None, body: object = None):
        label = f"{method} {url}".strip()
        text = api_message or "(no message in the answer)"
        code_part = f" [{code}]" if code else ""
        super().__init__(f"{status}{code_part} from {label}: {text}", hint=hint)
        self.status = status
        self.code = code
        self.api_message = api_message
        self.method = method
        self.url = url
        self.request_id = request_id
        self.body = body


class BadRequestError(ApiError):
    """400: the API refused the request's values or headers."""


class UnauthorizedError(ApiError):
    """401: the token is missing, unknown or expired."""


class ForbiddenError(ApiError):
    """403: the token lacks the scope (or the user the role) for this call."""


class NotFoundError(ApiError):
    """404: no such resource or record."""


class RateLimitError(ApiError):
    """429: the hourly call budget for this client and company is spent.

    Attributes
    ----------
    retry_after : float or None
        Seconds the API asked to wait (``Retry-After``).
    """

    retry_after: float | None = None


class ServerError(ApiError):
    """5xx: the API failed; safe calls may be retried."""


class IncompleteResultError(VnkitError):
    """A paged fetch ended with fewer unique records than the API said exist.

    Attributes
    ----------
    expected : int
        The last ``totalCount`` the API reported.
    received : int
        Unique records actually received.
    failed_pages : list of int
        Page numbers that could not be fetched (empty when the shortfall came from
        records moving between pages while they were read).
    """

    def __init__(self, message: str, *, expected: int, received: int,
                 failed_pages: list[int] | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.expected = expected
        self.received = received
        self.failed_pages = list(failed_pages or [])


class IncompleteResultWarning(UserWarning):
    """A paged fetch returned fewer unique records than ``totalCount`` (warn mode)."""


_BY_STATUS = {400: BadRequestError, 401: UnauthorizedError, 403: ForbiddenError,
              404: NotFoundError, 429: RateLimitError}


def error_class_for(status: int) -> type[ApiError]:
    """The ``ApiError`` subclass that stands for an HTTP status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ApiError)
