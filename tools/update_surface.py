#!/usr/bin/env python3
"""Copy the API surface digest into the package, compactly.

vnkit ships its own copy of the surface (``vnkit/_data/surface.json``) so that the
client and the sandbox work without the shared reference folder. Run this after the
digest changes::

    .venv/bin/python tools/update_surface.py [PATH-TO-visma-net-api-surface.json]

The default source is ``../shared/reference/visma-net-api-surface.json`` next to the
checkout. ``tests/test_surface.py`` checks that the copy matches its source.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "reference" / "visma-net-api-surface.json"
TARGET = ROOT / "vnkit" / "_data" / "surface.json"


def compact(source: dict) -> str:
    """The package copy: the same content with no whitespace, in the source's order (DTO fields keep the API's order)."""
    return json.dumps(source, separators=(",", ":"), ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else SOURCE
    text = compact(json.loads(source.read_text(encoding="utf-8")))
    TARGET.write_text(text, encoding="utf-8")
    print(f"{TARGET.relative_to(ROOT)}: {len(text):,} bytes from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
