"""The command line's shape: one module per command family, loaded lazily, without an import circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from cli.main import COMMANDS, main

CLI = Path(__file__).resolve().parents[1] / "cli"


def cli_imports() -> dict[str, set[str]]:
    """Each cli module and the cli modules it imports, at the top or inside a function."""
    modules = {("cli" if p.stem == "__init__" else f"cli.{p.stem}"): p for p in CLI.glob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            graph[name] |= {m for m in imported if m in modules and m not in ("cli", name)}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of the graph, as the modules along it, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        for target in sorted(graph[node]):
            found = visit(target, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def test_the_cli_modules_import_one_another_without_a_circle() -> None:
    graph = cli_imports()
    assert "cli.options" in graph["cli.figures"]  # the graph sees the imports
    assert "cli.views" in graph["cli.write"]  # function-level ones too (demo imports its views when it runs)
    assert cycle(graph) is None, " -> ".join(cycle(graph) or [])
    assert graph["cli.main"] == set(), "main reaches the commands only through its lazy map"


def test_the_circle_check_finds_a_circle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_help_imports_neither_the_ledger_nor_the_projections() -> None:
    code = ("import sys; from cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m in ('ledger.application', 'eventsourcing')"
            " or m.split('.')[0] in ('projections', 'eventsourcing')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert "Commands:" in out and all(name in out for name in COMMANDS)


def test_every_lazy_command_resolves_and_has_help() -> None:
    ctx = main.make_context("perfledger", ["--help"], resilient_parsing=True)
    assert main.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None and command.name == name, name
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert result.output.splitlines()[0].startswith(f"Usage: main {name} "), (name, result.output)
