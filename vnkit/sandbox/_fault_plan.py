"""The fault plan's format: what ``Settings.faults`` and ``POST /sandbox/admin/faults``
accept (described in :mod:`vnkit.sandbox._faults`, which carries the plan out).

Checking a plan needs nothing of the server, so the settings check it when they are
made, and a bad plan is refused before a sandbox starts.
"""

from __future__ import annotations

from typing import Any

from ._resources import lookup

STATUS_FAULTS = ("429", "500", "502", "503", "504")
FAULT_KINDS = (*STATUS_FAULTS, "drop", "drop_after", "slow")
_PLAN_KEYS = {"seed", "rate", "kinds", "methods", "retry_after", "slow_ms", "rules", "moves"}
_RULE_KEYS = {"fault", "method", "path", "calls", "next"}
_MOVE_KEYS = {"entity", "after", "count", "keys", "set", "company"}


def check_plan(plan: Any) -> dict:
    """Validate a fault plan and return it normalised; ``ValueError`` names the problem."""
    if plan is None:
        return {}
    if not isinstance(plan, dict):
        raise ValueError(f"faults must be a JSON object (dict), not {type(plan).__name__}")
    unknown = set(plan) - _PLAN_KEYS
    if unknown:
        raise ValueError(f"unknown fault plan field(s): {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted(_PLAN_KEYS))}")
    out = dict(plan)
    rate = out.get("rate", 0.0)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ValueError(f"faults.rate must be a number from 0 to 1, not {rate!r}")
    kinds = out.get("kinds", [k for k in FAULT_KINDS if k != "drop_after"])
    if isinstance(kinds, str) or not kinds:
        raise ValueError("faults.kinds must be a non-empty list of fault kinds")
    for kind in kinds:
        _check_kind(kind, "faults.kinds")
    out["kinds"] = [str(k) for k in kinds]
    methods = out.get("methods")
    if methods is not None:
        if isinstance(methods, str):
            raise ValueError("faults.methods must be a list such as ['GET']")
        out["methods"] = [str(m).upper() for m in methods]
    for name in ("retry_after", "slow_ms"):
        value = out.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"faults.{name} must be a number >= 0, not {value!r}")
    seed = out.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"faults.seed must be a whole number, not {seed!r}")
    rules = out.get("rules", [])
    if not isinstance(rules, list):
        raise ValueError("faults.rules must be a list of objects")
    for i, rule in enumerate(rules):
        where = f"faults.rules[{i}]"
        if not isinstance(rule, dict) or "fault" not in rule:
            raise ValueError(f"{where} must be an object with a 'fault'")
        bad = set(rule) - _RULE_KEYS
        if bad:
            raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(bad))}")
        _check_kind(rule["fault"], f"{where}.fault")
        if ("calls" in rule) == ("next" in rule):
            raise ValueError(f"{where} needs exactly one of 'calls' (a list of call "
                             "numbers) or 'next' (how many of the next calls)")
        if "calls" in rule and (not isinstance(rule["calls"], list) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 1
                for n in rule["calls"])):
            raise ValueError(f"{where}.calls must be a list of call numbers >= 1")
        if "next" in rule and (isinstance(rule["next"], bool)
                               or not isinstance(rule["next"], int) or rule["next"] < 0):
            raise ValueError(f"{where}.next must be a whole number >= 0")
    moves = out.get("moves", [])
    if not isinstance(moves, list):
        raise ValueError("faults.moves must be a list of objects")
    for i, move in enumerate(moves):
        where = f"faults.moves[{i}]"
        if not isinstance(move, dict):
            raise ValueError(f"{where} must be an object")
        bad = set(move) - _MOVE_KEYS
        if bad:
            raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(bad))}")
        if lookup(str(move.get("entity", ""))) is None:
            raise ValueError(f"{where}.entity {move.get('entity')!r} is not an entity "
                             "with a list endpoint (e.g. 'customer')")
        after = move.get("after")
        if isinstance(after, bool) or not isinstance(after, int) or after < 1:
            raise ValueError(f"{where}.after must be a list-call number >= 1")
        if not isinstance(move.get("set"), dict) or not move["set"]:
            raise ValueError(f"{where}.set must be an object of field: new value")
        count = move.get("count", 1)
        if "keys" not in move and (isinstance(count, bool) or not isinstance(count, int)
                                   or count < 1):
            raise ValueError(f"{where}.count must be a whole number >= 1")
    return out


def _check_kind(kind: Any, where: str) -> None:
    if str(kind) not in FAULT_KINDS:
        raise ValueError(f"{where}: {kind!r} is not a fault kind; use one of "
                         f"{', '.join(FAULT_KINDS)}")
