"""The hook reference in docs/plugins.md, generated from habitd/hookspecs.py, and the
reference of ``ctx`` (habitd/context.py's PluginContext).

    python tools/hookdoc.py          # rewrite the reference between the markers
    python tools/hookdoc.py --check  # exit 1 if the docs and the specs have drifted

tests/test_plugin_docs.py runs the check, so an undocumented hook fails the test suite.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from habitd import hookspecs  # noqa: E402 (after the path)
from habitd.context import PluginContext  # noqa: E402

DOCS = ROOT / "docs" / "plugins.md"
BEGIN, END = "<!-- hooks:begin -->", "<!-- hooks:end -->"
CONTEXT_BEGIN, CONTEXT_END = "<!-- context:begin -->", "<!-- context:end -->"


def context_reference() -> str:
    """Markdown for every public attribute and method of ``ctx``, from its docstrings."""
    parts = []
    for name, member in vars(PluginContext).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            title = f"`ctx.{name}`"
            doc = member.__doc__
        elif callable(member):
            signature = inspect.signature(member)
            shown = signature.replace(parameters=list(signature.parameters.values())[1:])
            title = f"`ctx.{name}{str(shown).replace(chr(39), '')}`"
            doc = member.__doc__
        else:
            continue
        parts.append(f"- {title}: {' '.join(inspect.cleandoc(doc or '').split())}")
    source = inspect.getsource(PluginContext.__init__)
    for attribute in ("name", "state"):
        line = source.split(f"self.{attribute} =", 1)[1]
        doc = line.split('"""', 2)[1]
        parts.insert(
            0 if attribute == "name" else 1, f"- `ctx.{attribute}`: {' '.join(doc.split())}"
        )
    return "\n".join(parts)


def _between(text: str, begin: str, end: str, body: str) -> str:
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n\n{body}\n{end}{tail}"


def reference() -> str:
    """Markdown for every hook: signature, calling style, time bound, docstring."""
    parts = []
    for name in sorted(n for n in dir(hookspecs) if n.startswith("habitd_")):
        function = getattr(hookspecs, name)
        options = getattr(function, f"{hookspecs.PROJECT}_spec", {}) or {}
        signature = inspect.signature(function)
        arguments = ", ".join(signature.parameters)
        returns = str(signature.return_annotation).replace("'", "")
        style = "first result" if options.get("firstresult") else "fan-out"
        if name == "habitd_commands":
            how = "fan-out; a plain function, called by the CLI (not the daemon)"
        else:
            how = (
                f"{style}; a plain or async function; at most {hookspecs.HOOK_TIMEOUT:g} s per call"
            )
        doc = inspect.cleandoc(function.__doc__ or "")
        parts.append(f"### `{name}({arguments}) -> {returns}`\n\n*{how}*\n\n{doc}\n")
    return "\n".join(parts)


def main() -> int:
    text = DOCS.read_text()
    wanted = _between(text, BEGIN, END, reference())
    wanted = _between(wanted, CONTEXT_BEGIN, CONTEXT_END, context_reference() + "\n")
    if "--check" in sys.argv:
        if wanted != text:
            print(
                "docs/plugins.md and habitd/hookspecs.py or habitd/context.py differ: "
                "run python tools/hookdoc.py"
            )
            return 1
        return 0
    DOCS.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
