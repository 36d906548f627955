"""The package's shape: no import cycle among its modules, counting imports inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "pipeline"


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package (a package is its __init__.py)."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_package(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def _edges(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules `name` imports anywhere in its file: top level, in functions, under `if`."""
    package = name if _is_package(name, modules) else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    targets.add(alias.name)
                elif alias.name.split(".")[0] == "pipeline":  # a name below a module: that module
                    parent = alias.name
                    while parent and parent not in modules:
                        parent = parent.rpartition(".")[0]
                    if parent:
                        targets.add(parent)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            if source.split(".")[0] != "pipeline":
                continue
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in modules:  # `from pipeline.x import y`, y a module
                    targets.add(sub)
                elif source in modules:
                    targets.add(source)
    targets.discard(name)
    return targets


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _edges(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of modules (first repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_walker_sees_imports_at_any_depth_and_resolves_relative_ones():
    graph = import_graph()
    assert "pipeline.audio" in graph["pipeline.asr"]  # `from .audio import ...` at the top
    assert "pipeline.asr" in graph["pipeline.validate"]  # imported inside asr_check()
    assert "pipeline.executors.ray_executor" in graph["pipeline.executors"]  # inside make_worker()
    assert "pipeline.defaults" in graph["pipeline.synthesize.worker"]  # `from .. import defaults`
    assert "pipeline.synthesize.soprano" in graph["pipeline.synthesize"]  # a subpackage, in a function


def test_the_walker_finds_a_cycle_when_there_is_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_the_package_modules():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])


@pytest.mark.parametrize("stage", ["validate", "assemble", "asr", "export"])
def test_stages_take_dsp_from_pipeline_audio_not_from_each_other(stage):
    graph = import_graph()
    sideways = {"pipeline.validate", "pipeline.assemble", "pipeline.asr", "pipeline.export"} - {
        f"pipeline.{stage}"
    }
    edges = set().union(
        *(
            targets
            for name, targets in graph.items()
            if name == f"pipeline.{stage}" or name.startswith(f"pipeline.{stage}.")
        )
    )
    assert not edges & (sideways - {"pipeline.asr"} if stage == "validate" else sideways), edges & sideways


def test_no_function_over_80_lines_without_a_comment_saying_why():
    """The project's rule (docs/DEVELOPMENT.md): a function longer than 80 lines says why in a comment
    ("Over 80 lines ...") just above it or inside it."""
    long = []
    for path in sorted(ROOT.rglob("*.py")):
        text = path.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                end = node.end_lineno or node.lineno
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                if end - node.lineno + 1 > 80 and "Over 80 lines" not in "\n".join(lines[first - 4 : end]):
                    long.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} {node.name}")
    assert not long, f"over 80 lines with no comment saying why: {long}"
