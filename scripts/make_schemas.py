"""Write the JSON Schemas of the files the renderer writes into docs/schemas/, generated from the records.

Each schema comes from the record the file is the JSON of (`pipeline.records`, through pydantic's schema
generator for dataclasses), so it cannot drift from the code: `tests/test_schemas.py` fails when a committed
schema differs from what this script makes, and validates real outputs against them.

Usage: python scripts/make_schemas.py [--check]     (--check: exit 1 if docs/schemas/ is out of date)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.schemas import SCHEMAS, schema_of  # noqa: E402 - the project root joins sys.path above

OUT = ROOT / "docs" / "schemas"


def documents() -> dict[str, dict[str, Any]]:
    """File name in docs/schemas/ -> its schema."""
    return {f"{name}.schema.json": schema_of(name) for name in SCHEMAS}


def text_of(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="exit 1 when docs/schemas/ is out of date")
    args = ap.parse_args()
    stale = []
    for name, schema in documents().items():
        path = OUT / name
        text = text_of(schema)
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
            continue
        OUT.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(
            f"make_schemas: out of date: {', '.join(stale)}; run python scripts/make_schemas.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
