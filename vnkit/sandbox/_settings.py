"""Run-time knobs of the sandbox server.

Every behaviour of the real API that the public sources leave open (facts file, section
11) is a field here, so a notebook or a test can switch it without touching the code.
The settings travel from ``vnkit.sandbox.start()`` to the server's child process as one
JSON object (``to_json`` / ``from_json``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from ._fault_plan import check_plan

# Used when the demo-data module does not define DEFAULT_SEED itself.
FALLBACK_SEED = 20200301

#: Shapes of the 429 body (``Settings.rate_limit_body``); the real one is not published.
RATE_LIMIT_BODIES = ("message", "gateway", "Message")


@dataclass
class Settings:
    """What the sandbox does where the real API gives it a choice.

    Attributes
    ----------
    latency_ms
        Milliseconds added to every API answer (an ``asyncio`` sleep, so concurrent
        requests overlap as they would over a real network).
    token_ttl
        Lifetime of issued access tokens in seconds (``expires_in``). 3600 is the usual
        Visma Connect value but is not confirmed for the ERP service API.
    default_condition
        Operator used for ``lastModifiedDateTime``/``createdDateTime`` when the matching
        ``...Condition`` parameter is absent. Unpublished; ``>=`` is our assumption.
    max_page_size
        Per-entity override of the page-size maximum (which is also the default page
        size), keyed by the entity name of the registry (case-insensitive).
    seed
        Seed of the demo data; ``None`` means the data module's ``DEFAULT_SEED``.
    data_module
        Dotted name of the module that supplies the demo data (``COMPANIES``,
        ``CLIENTS``, ``DATA_VERSION``, ``generate``). Tests swap in a small one.
    date_fraction_digits
        How many fractional-second digits the date filters accept after the seconds
        (the documented form is ``.fff``, i.e. three).
    date_t_separator
        Whether ``T`` may stand between date and time in date filters (article 08 uses
        it; the documented formats use a space).
    company_header_optional
        Whether ``ipp-company-id`` may be left out when the token covers one company
        (how Visma Connect service clients behave in the wild; unconfirmed).
    wrong_tenant_error
        OAuth ``error`` code answered when ``tenant_id`` is not one of the client's.
    attribute_text_case_sensitive
        Whether text attributes in the ``attributes`` filter must match letter case too.
    sublist_requires_parent
        Whether ``customer/{number}/invoice`` answers 404 for an unknown customer
        (otherwise an empty list).
    context_type
        ``type`` of each company in ``GET resources/v1/context`` (its values are not
        documented).
    access_log
        Whether uvicorn logs every request (off: it costs throughput).
    deletable
        Entities that answer ``DELETE {entity}/{key}`` (with the hand-written rules: only
        a document not released yet). The current surface has it for customer invoices
        and credit notes, supplier invoices (also ``DELETE supplierInvoice/{documentType}/
        {number}``, always on) and attributes.
    v2_create
        Entities created with ``POST v2/...`` (facts 1.3: customer invoices).
    v1_create_deprecated_ok
        Whether the deprecated ``POST v1/customerinvoice`` still creates (it did for
        years after v2 arrived; whether it still does is unconfirmed).
    first_numbers
        First number of a numbering series that has no record yet, per entity.
    code_ttl
        Seconds an authorization code of the interactive sign-in stays redeemable
        (article 03: ten minutes).
    attachment_max_bytes
        Largest file an attachment upload may carry (answered 413 above it). The real
        limit is unpublished; 100 MB is our assumption.
    attachments_need_expand
        Whether list answers show attachment references only with
        ``expandAttachments``/``expandAttachment`` (a single GET always shows them).
    background_retention_s
        How long Background API jobs stay readable after they were received (24 h).
    background_delay_ms
        Wait before a background job starts (0: at once), to watch a job in Started.
    background_url_value
        Whether ``erp-api-background: <webhook URL>`` (deprecated 2025-04-30, "tolerated
        for a while") is still accepted.
    webhook_signature_header
        Header carrying the base64 HMAC-SHA256 of a webhook body (the dispatcher's name
        for Business NXT; assumed for the ERP).
    webhook_retry_delays
        Seconds to wait before each retry of a failed webhook delivery; after the last
        one the delivery is marked failed.
    webhook_timeout_s
        Seconds a webhook receiver has to answer one delivery.
    legacy_webhook_api
        Whether ``resources/v1/subscription`` (retired 2025-04-30) still answers.
    rate_limit_test, rate_limit_production
        Calls per window a test / production client gets on one company (article 12:
        500 and 15,000 per hour).
    rate_window_seconds
        Length of the fixed throttling window (3600; lower it to watch a reset).
    rate_limit_policy
        ``X-RateLimit-Policy`` value (the current gateway's hourly policy name).
    rate_limit_enabled
        Whether calls are counted and refused at all.
    rate_limit_body
        Shape of the 429 body, unpublished: ``"message"`` (``{"message": ...}``, the
        API's business-error shape), ``"gateway"`` (``{"statusCode": 429, "message":
        ...}``, what Azure API Management answers by default) or ``"Message"``.
    faults
        Fault plan: injected 429/5xx/dropped/slow answers and records that change
        while a client pages (see ``vnkit.sandbox._faults``).
    """

    latency_ms: float = 0.0
    token_ttl: int = 3600
    default_condition: str = ">="
    max_page_size: dict[str, int] = field(default_factory=dict)
    seed: int | None = None
    data_module: str = "vnkit.sandbox._seed"
    date_fraction_digits: tuple[int, ...] = (3,)
    date_t_separator: bool = True
    company_header_optional: bool = True
    wrong_tenant_error: str = "unauthorized_client"
    attribute_text_case_sensitive: bool = True
    sublist_requires_parent: bool = True
    context_type: str = "Company"
    access_log: bool = False
    deletable: tuple[str, ...] = ("customerinvoice", "customerCreditNote", "supplierInvoice",
                                  "attribute")
    v2_create: tuple[str, ...] = ("customerinvoice",)
    v1_create_deprecated_ok: bool = True
    first_numbers: dict[str, str] = field(default_factory=dict)
    code_ttl: float = 600.0
    attachment_max_bytes: int = 100 * 1024 * 1024
    attachments_need_expand: bool = True
    background_retention_s: float = 86400.0
    background_delay_ms: float = 0.0
    background_url_value: bool = True
    webhook_signature_header: str = "x-vwd-signature-v1"
    webhook_retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
    webhook_timeout_s: float = 5.0
    legacy_webhook_api: bool = True
    rate_limit_test: int = 500
    rate_limit_production: int = 15000
    rate_window_seconds: float = 3600.0
    rate_limit_policy: str = "4-fixed-window"
    rate_limit_enabled: bool = True
    rate_limit_body: str = "message"
    faults: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.default_condition not in (">", "<", ">=", "<="):
            raise ValueError(f"default_condition must be one of > < >= <=, "
                             f"not {self.default_condition!r}")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.token_ttl <= 0:
            raise ValueError("token_ttl must be positive")
        if self.code_ttl <= 0:
            raise ValueError("code_ttl must be positive")
        if isinstance(self.attachment_max_bytes, bool) or int(self.attachment_max_bytes) < 0:
            raise ValueError("attachment_max_bytes must be a number of bytes, 0 or more")
        self.max_page_size = {k.lower(): int(v) for k, v in self.max_page_size.items()}
        if any(v < 1 for v in self.max_page_size.values()):
            raise ValueError("max_page_size values must be at least 1")
        self.date_fraction_digits = tuple(int(d) for d in self.date_fraction_digits)
        _check_rate_limits(self)
        self.faults = check_plan(self.faults)

    @classmethod
    def field_names(cls) -> frozenset[str]:
        """Names a caller may pass as keyword settings."""
        return frozenset(f.name for f in dataclasses.fields(cls))

    def to_json(self) -> str:
        """Serialise for the command line of the server's child process."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        """Inverse of :meth:`to_json`; unknown keys are an error (a typo would hide)."""
        data: dict[str, Any] = json.loads(text)
        unknown = set(data) - cls.field_names()
        if unknown:
            raise ValueError(f"unknown sandbox settings: {', '.join(sorted(unknown))}")
        return cls(**data)


def _positive(value, name: str, whole: bool = False):
    try:
        number = int(value) if whole else float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if isinstance(value, bool) or number <= 0 or (whole and number != value):
        raise ValueError(f"{name} must be a positive {'whole ' if whole else ''}number, "
                         f"not {value!r}")
    return number


def _check_rate_limits(settings: Settings) -> None:
    """Refuse impossible limits before the server starts (or the admin call applies them)."""
    _positive(settings.rate_limit_test, "rate_limit_test", whole=True)
    _positive(settings.rate_limit_production, "rate_limit_production", whole=True)
    _positive(settings.rate_window_seconds, "rate_window_seconds")
    if not isinstance(settings.rate_limit_policy, str) or not settings.rate_limit_policy:
        raise ValueError("rate_limit_policy must be a non-empty string")
    if settings.rate_limit_body not in RATE_LIMIT_BODIES:
        raise ValueError(f"rate_limit_body must be one of {', '.join(RATE_LIMIT_BODIES)}, "
                         f"not {settings.rate_limit_body!r}")
