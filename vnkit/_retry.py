"""When vnkit sends a request again: urllib3's ``Retry``, set up for the Visma.net API.

The rules, in one place:

- 429 (throttled) is retried after the ``Retry-After`` the API sends, as long as that
  wait is short (``max_wait``). The API's window is an hour; sleeping through it inside
  a notebook cell would look like a hang, so a longer wait is handed to the caller as
  ``RateLimitError`` with ``retry_after``.
- 500, 502, 503 and 504, and connections that die before an answer, are retried with
  exponential backoff for idempotent methods only (GET, HEAD, OPTIONS, PUT, DELETE):
  sending them twice does no harm.
- POST (and PATCH) is **never** retried: a create that failed with 503 or whose answer
  was lost may have been carried out, and sending it again could create a second
  record. Only a connection that could not be opened at all (nothing was sent) is
  tried again, which urllib3 does for every method.

The retries happen inside the transport (the ``HTTPAdapter``), so every caller of the
session gets them, the pager's worker threads included.
"""

from __future__ import annotations

from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

#: Methods that may be sent twice without changing the outcome.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

#: Answers worth a second try.
RETRY_STATUSES = (429, 500, 502, 503, 504)


class VnkitRetry(Retry):
    """urllib3 retries that give up on a 429 asking for a long wait.

    ``max_wait`` (seconds) is the longest ``Retry-After`` slept through; a longer one
    ends the retries and the 429 reaches the caller (``RateLimitError.retry_after``).
    """

    #: Default of ``max_wait``.
    MAX_WAIT = 30.0

    def __init__(self, *args, max_wait: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_wait = self.MAX_WAIT if max_wait is None else float(max_wait)

    def new(self, **kw):
        # urllib3 copies a Retry for every attempt; keep max_wait on the copies.
        retry = super().new(**kw)
        retry.max_wait = self.max_wait
        return retry

    def increment(self, method=None, url=None, response=None, error=None, _pool=None,
                  _stacktrace=None):
        if response is not None and response.status == 429:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.max_wait:
                # urllib3 hands back the 429 itself (raise_on_status is off).
                raise MaxRetryError(_pool, url,
                                    ResponseError("Retry-After exceeds vnkit's wait limit"))
        return super().increment(method, url, response, error, _pool, _stacktrace)


def retry_policy(retries: int = 3, backoff_factor: float = 0.5,
                 max_wait: float | None = None, backoff_max: float = 30.0) -> VnkitRetry:
    """The retry policy vnkit uses (see the module docstring).

    Parameters
    ----------
    retries
        Attempts after the first, per kind of failure and in total.
    backoff_factor
        Seconds of the exponential backoff between 5xx retries (0, 2x, 4x ...).
    max_wait
        Longest ``Retry-After`` waited out (default ``VnkitRetry.MAX_WAIT``, 30 s).
    backoff_max
        Upper bound of one backoff sleep.
    """
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be a whole number >= 0, not {retries!r}")
    if backoff_factor < 0:
        raise ValueError(f"backoff_factor must be >= 0, not {backoff_factor!r}")
    return VnkitRetry(total=retries, connect=retries, read=retries, status=retries,
                      other=0, backoff_factor=backoff_factor, backoff_max=backoff_max,
                      status_forcelist=RETRY_STATUSES, allowed_methods=IDEMPOTENT_METHODS,
                      respect_retry_after_header=True, raise_on_status=False,
                      raise_on_redirect=False, max_wait=max_wait)


def default_adapter(max_workers: int = 4, retries: int = 3, backoff_factor: float = 0.5,
                    max_wait: float | None = None) -> HTTPAdapter:
    """The transport ``Client`` uses unless given one: pooled, with safe retries.

    The pool holds a connection per worker thread of the pager and a few more, so
    concurrent pages never wait for a connection.
    """
    retry = retry_policy(retries, backoff_factor, max_wait)
    size = max(10, max_workers + 2)
    return HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=size)
