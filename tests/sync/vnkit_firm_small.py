"""A sandbox data module for the sync tests: the accounting firm with four companies."""

from vnkit.sandbox._firm import DATA_VERSION, DEFAULT_SEED, firm

_FIRM = firm(4)
COMPANIES = _FIRM.COMPANIES
CLIENTS = _FIRM.CLIENTS
generate = _FIRM.generate

__all__ = ["DATA_VERSION", "DEFAULT_SEED", "COMPANIES", "CLIENTS", "generate"]
