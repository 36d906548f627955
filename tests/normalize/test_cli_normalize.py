"""`render --normalize -`: the README's command as written, and a pipe closed early is not an error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, run_cli


def test_readme_normalize_command():
    proc = run_cli("--normalize", "-", input="In 1859 Dr. Smith paid $3.50.\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "In eighteen fifty-nine Doctor Smith paid three dollars fifty cents.\n"


def test_paragraphs_and_lexicon(tmp_path):
    lex = tmp_path / "lex.toml"
    lex.write_text('[words]\n"Smith" = "Smythe"\n', encoding="utf-8")
    proc = run_cli(
        "--normalize", "-", "--lexicon", str(lex), input="Mr. Smith.\n\n\u2018Hi,\u2019 he said.\n"
    )
    assert proc.stdout == 'Mister Smythe.\n"Hi," he said.\n'


def test_piped_into_head_exits_quietly():
    exe = Path(sys.executable).with_name("render")
    text = "\n\n".join(f"Paragraph {i} costs ${i}.50." for i in range(1, 20_000))
    proc = subprocess.run(
        f"'{exe}' --normalize - | head -n 2",
        shell=True,
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.stdout.splitlines() == [
        "Paragraph one costs one dollar fifty cents.",
        "Paragraph two costs two dollars fifty cents.",
    ]
    assert "Traceback" not in proc.stderr and "Error" not in proc.stderr
