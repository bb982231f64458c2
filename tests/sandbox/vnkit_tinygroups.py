"""The tiny demo data in two build groups: the article company first, the shared tenant's
two companies when a request first names one of them (see ``_store.company_groups``)."""

from __future__ import annotations

from vnkit_tinydata import (  # noqa: F401 - the data module's contract, re-exported
    ARTICLE,
    CLIENTS,
    COMPANIES,
    DATA_VERSION,
    DEFAULT_SEED,
    SHARED_A,
    SHARED_B,
    generate,
)

GROUPS = ((ARTICLE,), (SHARED_A, SHARED_B))
