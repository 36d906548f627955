"""The records to JSON and back, in one place.

`to_json(record)` gives the JSON-ready value of any record in `pipeline.records` (fields in declaration
order, enums by value, fields marked `OMIT_NONE` left out while None); `from_json(cls, data)` rebuilds a
record from such a value and raises `ValueError` when the data does not have the record's shape (a damaged
or foreign file). Values pass through unchanged, so a record read back writes the same bytes.
`plan_json` is the dry-run's document.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing

from .records import OMIT_NONE, Plan


def to_json(obj):
    """A JSON-ready value (dicts, lists, str, numbers, bools, None) of a record or a structure of them."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if value is None and f.metadata.get("omit_none"):
                continue
            out[f.name] = to_json(value)
        return out
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, dict):
        return {k: to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    return obj


@functools.cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def from_json(cls, data):
    """The record of type `cls` (or the structure a type hint names) that `data` is the JSON of."""
    origin = typing.get_origin(cls)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(cls)
        if data is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return from_json(inner[0], data) if len(inner) == 1 else data
    if origin is list:
        if not isinstance(data, list):
            raise ValueError(f"expected a list, found {type(data).__name__}")
        (item,) = typing.get_args(cls) or (typing.Any,)
        return [from_json(item, v) for v in data]
    if origin is dict:
        if not isinstance(data, dict):
            raise ValueError(f"expected an object, found {type(data).__name__}")
        _, item = typing.get_args(cls) or (str, typing.Any)
        return {k: from_json(item, v) for k, v in data.items()}
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        if not isinstance(data, dict):
            raise ValueError(f"{cls.__name__}: expected an object, found {type(data).__name__}")
        hints = _hints(cls)
        kwargs = {}
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            if f.name in data:
                kwargs[f.name] = from_json(hints[f.name], data[f.name])
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ValueError(f"{cls.__name__}: '{f.name}' is missing")
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown keys {', '.join(sorted(unknown))}")
        return cls(**kwargs)
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return cls(data)
    return data


def plan_json(plan: Plan) -> dict:
    """The plan as one JSON-ready dict (what `render --dry-run --json` prints; other tools read it)."""
    b = plan.book
    return {
        "title": b.title,
        "authors": b.authors,
        "language": b.language,
        "publisher": b.publisher,
        "date": b.date,
        "description": b.description,
        "identifier": b.identifier,
        "series": b.series,
        "series_index": b.series_index,
        "cover": b.cover_type or None,
        "est_seconds": round(plan.est_seconds, 1),
        "warnings": plan.warnings,
        "chapters": [
            {
                "index": c.index,
                "title": c.title,
                "level": c.level,
                "parents": c.parents,
                "source": c.source,
                "est_seconds": round(plan.chapter_seconds(c.index), 1),
                "segments": [
                    {
                        "text": s.text,
                        "normalized": s.normalized,
                        "est_seconds": s.est_seconds,
                        "pause_after": s.pause_after.value,
                        "paragraph": s.paragraph,
                    }
                    for s in plan.segments[c.index]
                ],
            }
            for c in plan.chapters
        ],
    }


__all__ = ["OMIT_NONE", "from_json", "plan_json", "to_json"]
