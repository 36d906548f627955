"""The JSON Schemas of the files the renderer writes, generated from the records they are the JSON of.

`manifest.json` (`Manifest`), `report.json` (`Report`), `.render-state.json` (`RenderState`) and a shelf's
`corpus.json` (`ShelfSummary`) each carry a `schema_version`; a change in the meaning of a field is a new
version and a line in the README's schema changelog. `docs/schemas/` holds these schemas as files
(`scripts/make_schemas.py` writes them; a test fails when they are stale). `metadata.json` is not here: it is
Audiobookshelf's own format, versioned by Audiobookshelf.
"""

from __future__ import annotations

from typing import Any

from .records import (
    MANIFEST_SCHEMA_VERSION,
    REPORT_SCHEMA_VERSION,
    SHELF_SCHEMA_VERSION,
    STATE_SCHEMA_VERSION,
    Manifest,
    RenderState,
    Report,
    ShelfSummary,
)

# schema name -> (the record, the file it describes, its current schema_version)
SCHEMAS: dict[str, tuple[type, str, int]] = {
    "manifest": (Manifest, "manifest.json", MANIFEST_SCHEMA_VERSION),
    "report": (Report, "report.json", REPORT_SCHEMA_VERSION),
    "render-state": (RenderState, ".render-state.json", STATE_SCHEMA_VERSION),
    "corpus": (ShelfSummary, "corpus.json", SHELF_SCHEMA_VERSION),
}


def _closed(node: Any) -> None:
    """Every object with named properties admits no others (a new field is a new schema version)."""
    if isinstance(node, dict):
        if "properties" in node and node.get("type") == "object":
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _closed(value)
    elif isinstance(node, list):
        for value in node:
            _closed(value)


def schema_of(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the file `name` names in `SCHEMAS`."""
    from pydantic import TypeAdapter

    record, file, version = SCHEMAS[name]
    body: dict[str, Any] = TypeAdapter(record).json_schema(mode="serialization")
    _closed(body)
    body["properties"]["schema_version"] = {"const": version, "description": "this schema's version"}
    body["required"] = ["schema_version", *[k for k in body.get("required", []) if k != "schema_version"]]
    body.pop("title", None)
    body.pop("description", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:render-audiobooks:schema:{name}:{version}",
        "title": f"{file}, schema version {version}",
        "description": f"{file} as the renderer writes it (the record {record.__name__} in pipeline/records.py)",
        **body,
    }
