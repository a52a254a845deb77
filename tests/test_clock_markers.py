"""The ``clock`` marker is honest: every test that touches days or times carries it, so
``make test-clocks`` runs it at each moment.

A test touches the clock when its own code, a helper or fixture of its module (or of
conftest) that it uses, or its parameters name a date or time type, the clock module, a
day helper (``habit_today``, ``days_ago``), a clock shift (``shifted``, time-machine), or
pass the CLI a day, a span or a command whose answer depends on the day.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).parent

CLOCK_NAMES = frozenset(
    {
        "date",
        "datetime",
        "timedelta",
        "UTC",
        "ZoneInfo",
        "time_machine",
        "clock",
        "habit_today",
        "days_ago",
        "shifted",
        "quick_summary",
    }
)
"""Names that mean the code reads or builds days and times."""

CLOCK_WORDS = frozenset(
    {"--date", "--when", "--since", "--until", "yesterday", "streaks", "report", "next", "pause"}
)
"""CLI words (a whole argument) whose answer depends on the day or the hour: a day, a span,
and the commands that count days or show what comes next."""


def _clock_marked(node: ast.expr) -> bool:
    return "mark.clock" in ast.unparse(node)


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _touches(node: ast.AST) -> set[str]:
    """The clock names and words ``node`` uses itself."""
    touched: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and child.id in CLOCK_NAMES:
            touched.add(child.id)
        elif isinstance(child, ast.Attribute) and child.attr in CLOCK_NAMES:
            touched.add(child.attr)
        elif isinstance(child, ast.arg) and child.arg in CLOCK_NAMES:
            touched.add(child.arg)
        elif isinstance(child, ast.Constant) and child.value in CLOCK_WORDS:
            touched.add(str(child.value))
    return touched


def _used(node: ast.AST) -> set[str]:
    """Names ``node`` refers to (calls, values, parameters: fixtures are parameters)."""
    used = {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        used |= {arg.arg for arg in node.args.args}
    return used


def _unmarked() -> Iterator[str]:
    shared = ast.parse((TESTS / "conftest.py").read_text())
    shared_names = _functions(shared)
    for path in sorted(TESTS.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue  # this check's own example is text, not a test of habitd
        tree = ast.parse(path.read_text())
        module_marked = any(
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
            and _clock_marked(node.value)
            for node in tree.body
        )
        names: dict[str, ast.AST] = {**shared_names, **_functions(tree)}
        for name, test in _functions(tree).items():
            if not name.startswith("test_"):
                continue
            if module_marked or any(_clock_marked(d) for d in test.decorator_list):
                continue
            seen: set[str] = set()
            pending = [test]
            touched: set[str] = set()
            while pending:
                node = pending.pop()
                touched |= _touches(node)
                for used in _used(node) - seen:
                    seen.add(used)
                    if used in names and used != name:
                        pending.append(names[used])  # type: ignore[arg-type]
            if touched:
                yield f"{path.name}::{name} ({', '.join(sorted(touched))})"


def test_every_test_that_touches_the_clock_is_marked_clock() -> None:
    unmarked = list(_unmarked())
    assert not unmarked, "mark these @pytest.mark.clock:\n" + "\n".join(unmarked)


def test_the_check_sees_a_test_that_reads_the_day(tmp_path: Path) -> None:
    """The check itself can fail: a day helper, a CLI day and a helper's date all count."""
    source = ast.parse(
        "def _when():\n    return date(2026, 1, 1)\n"
        "def test_a(env):\n    env.ok('done', 'x', '--date', 'yesterday')\n"
        "def test_b():\n    assert _when()\n"
        "def test_c():\n    assert 1 + 1 == 2\n"
    )
    functions = _functions(source)
    assert _touches(functions["test_a"]) == {"--date", "yesterday"}
    assert "_when" in _used(functions["test_b"]) and _touches(functions["_when"]) == {"date"}
    assert _touches(functions["test_c"]) == set()
