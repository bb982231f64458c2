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

# Used when the demo-data module does not define DEFAULT_SEED itself.
FALLBACK_SEED = 20200301


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

    def __post_init__(self) -> None:
        if self.default_condition not in (">", "<", ">=", "<="):
            raise ValueError(f"default_condition must be one of > < >= <=, "
                             f"not {self.default_condition!r}")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.token_ttl <= 0:
            raise ValueError("token_ttl must be positive")
        self.max_page_size = {k.lower(): int(v) for k, v in self.max_page_size.items()}
        if any(v < 1 for v in self.max_page_size.values()):
            raise ValueError("max_page_size values must be at least 1")
        self.date_fraction_digits = tuple(int(d) for d in self.date_fraction_digits)

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
