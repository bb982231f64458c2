"""Reading request bodies the way the API's .NET backend does.

Write bodies follow the DtoValue convention (facts section 2): scalars arrive as
``{"value": ...}``, address/contact members are wrapped once more, collections are plain
arrays. The backend matches property names without regard to case and ignores the
ones a DTO does not have; clients in the wild also send some members unwrapped (article
20's supplier ``mainAddress``), so every accessor here accepts both shapes.

Every conversion failure raises :class:`WriteError`, whose text becomes the 400 answer's
``message`` - it names the field and what was wrong with it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any


class WriteError(Exception):
    """A refused write; ``message`` is what the API answers in ``{"message": ...}``."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


_MISSING = object()


class Obj:
    """A JSON object read with case-insensitive member names.

    Parameters
    ----------
    data
        The decoded JSON object.
    where
        Where it sits in the body (``invoiceLines[0]``), for error messages.
    """

    def __init__(self, data: dict, where: str = ""):
        self.data = data
        self.where = where
        self._lower = {str(k).lower(): k for k in data}

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._lower

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        """The member as sent (still wrapped), or ``default`` when absent."""
        key = self._lower.get(name.lower())
        if key is None:
            return None if default is _MISSING else default
        return self.data[key]

    def label(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def has(self, name: str) -> bool:
        """Whether the member is present (a wrapped ``{"value": null}`` counts)."""
        return name.lower() in self._lower

    def value(self, name: str) -> Any:
        """The member's value with a DtoValue wrapper taken off (None when absent)."""
        return unwrap(self.raw(name))

    # -- typed accessors ----------------------------------------------------

    def text(self, name: str, *, max_len: int = 255) -> str | None:
        value = self.value(name)
        if value is None:
            return None
        if isinstance(value, (bool, dict, list)):
            raise WriteError(f"The value of '{self.label(name)}' must be text, not "
                             f"{type(value).__name__}.")
        text = str(value)
        if len(text) > max_len:
            raise WriteError(f"The value of '{self.label(name)}' is longer than "
                             f"{max_len} characters.")
        return text

    def number(self, name: str) -> float | None:
        value = self.value(name)
        if value is None:
            return None
        if isinstance(value, (bool, dict, list)):
            raise WriteError(f"The value of '{self.label(name)}' must be a number.")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise WriteError(f"The value '{value}' of '{self.label(name)}' is not a "
                             "number.") from None
        if not number.is_finite():
            raise WriteError(f"The value of '{self.label(name)}' must be a finite number.")
        if abs(number) >= Decimal("1e15"):
            raise WriteError(f"The value of '{self.label(name)}' is out of range.")
        return float(number)

    def integer(self, name: str) -> int | None:
        number = self.number(name)
        if number is None:
            return None
        if number != int(number):
            raise WriteError(f"The value of '{self.label(name)}' must be a whole number.")
        return int(number)

    def boolean(self, name: str) -> bool | None:
        value = self.value(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise WriteError(f"The value '{value}' of '{self.label(name)}' is not true or "
                         "false.")

    def date(self, name: str) -> str | None:
        """An ISO date-time as the API stores it: ``YYYY-MM-DDTHH:MM:SS`` (no offset)."""
        value = self.value(name)
        if value is None:
            return None
        return parse_date(value, self.label(name))

    def choice(self, name: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        for option in allowed:
            if option.lower() == value.lower():
                return option
        raise WriteError(f"The value '{value}' of '{self.label(name)}' is not valid; "
                         f"use one of: {', '.join(allowed)}.")

    def obj(self, name: str) -> Obj | None:
        """A nested object, wrapped (``{"value": {...}}``) or not."""
        value = self.value(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise WriteError(f"'{self.label(name)}' must be an object.")
        return Obj(value, self.label(name))

    def array(self, name: str) -> list[Obj] | None:
        """A collection member: a plain JSON array of objects."""
        value = self.raw(name)
        if isinstance(value, dict) and "value" in {k.lower() for k in value}:
            value = unwrap(value)  # tolerate a wrapped array
        if value is None:
            return None
        if not isinstance(value, list):
            raise WriteError(f"'{self.label(name)}' must be an array.")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise WriteError(f"'{self.label(name)}[{i}]' must be an object.")
            out.append(Obj(item, f"{self.label(name)}[{i}]"))
        return out


def unwrap(value: Any) -> Any:
    """``{"value": x}`` → ``x`` (any letter case of ``value``); anything else as is."""
    if isinstance(value, dict) and len(value) == 1:
        (key, inner), = value.items()
        if str(key).lower() == "value":
            return inner
    return value


def parse_date(value: Any, label: str) -> str:
    text = str(value).strip()
    candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        raise WriteError(f"The value '{text}' of '{label}' is not a date; write it as "
                         "yyyy-MM-dd or yyyy-MM-ddTHH:mm:ss.") from None
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def parse_period(value: Any, label: str) -> str:
    """A financial period as stored (``YYYYMM``) from ``YYYYMM`` or ``MMYYYY``.

    Article 20 sends ``"postPeriod": "112019"`` (the UI's MM-YYYY order), while reads
    show ``201911``; a leading pair above 12 can only be a year.
    """
    text = str(value).strip().replace("-", "")
    if len(text) != 6 or not text.isdigit():
        raise WriteError(f"The value '{value}' of '{label}' is not a period; write it as "
                         "YYYYMM (or MMYYYY).")
    if 1 <= int(text[:2]) <= 12 and int(text[2:]) >= 1900:
        text = text[2:] + text[:2]
    if not 1 <= int(text[4:]) <= 12:
        raise WriteError(f"The value '{value}' of '{label}' has no month 01-12.")
    return text
