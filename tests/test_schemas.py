"""The JSON files a render writes carry a `schema_version` and validate against the schemas in docs/schemas/,
which are generated from the records and kept up to date (scripts/make_schemas.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from pipeline.schemas import SCHEMAS
from tests.conftest import ROOT, run_cli

sys.path.insert(0, str(ROOT / "scripts"))
from make_schemas import OUT, documents, text_of


def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((OUT / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_the_committed_schemas_are_the_ones_the_records_make():
    for name, schema in documents().items():
        assert (OUT / name).read_text(encoding="utf-8") == text_of(schema), (
            f"{name} is stale: run scripts/make_schemas.py"
        )


@pytest.fixture(scope="module")
def shelf_out(tmp_path_factory, sample_epub) -> Path:
    """A shelf of one book (the demo's first chapter): manifest, report, state and corpus.json at once."""
    shelf = tmp_path_factory.mktemp("shelf")
    (shelf / "sample.epub").write_bytes(sample_epub.read_bytes())
    out = tmp_path_factory.mktemp("out")
    proc = run_cli(
        str(shelf), "--out", str(out), "--engine", "hibari", "--chapters", "1", "--quiet", "--no-cache"
    )
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("manifest", "*/manifest.json"),
        ("report", "*/report.json"),
        ("render-state", "*/.render-state.json"),
        ("corpus", "corpus.json"),
    ],
)
def test_every_json_a_render_writes_validates_against_its_schema(shelf_out, name, where):
    (path,) = shelf_out.glob(where)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert next(iter(data)) == "schema_version" and data["schema_version"] == SCHEMAS[name][2]
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator(name).iter_errors(data)
    ]
    assert not errors, errors


def test_the_schema_catches_the_manifest_change_that_once_broke_users(shelf_out):
    """`segments` became a count (the list is `segment_list`): a version-1 manifest fails this schema."""
    (path,) = shelf_out.glob("*/manifest.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    old = {**data, "schema_version": 1}
    old["chapters"] = [{**c, "segments": c["segment_list"]} for c in data["chapters"]]
    messages = [e.message for e in _validator("manifest").iter_errors(old)]
    assert any(m == "2 was expected" for m in messages) and any(
        "is not of type 'integer'" in m for m in messages
    )


def test_a_state_file_written_before_schema_version_still_resumes(shelf_out):
    """.render-state.json's `version` key became `schema_version`; a folder rendered before resumes as it was."""
    from pipeline.state import StateStore

    (path,) = shelf_out.glob("*/.render-state.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    legacy = {"version": data.pop("schema_version"), **data}
    path.write_text(json.dumps(legacy), encoding="utf-8")
    store = StateStore(path.parent)
    assert list(store.chapters) == ["1"]
    fingerprint = store.chapters["1"].fingerprint
    assert store.reusable(1, fingerprint, path.parent) is not None
