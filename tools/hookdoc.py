"""The hook reference in docs/plugins.md, generated from habitd/hookspecs.py.

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

DOCS = ROOT / "docs" / "plugins.md"
BEGIN, END = "<!-- hooks:begin -->", "<!-- hooks:end -->"


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
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    wanted = f"{head}{BEGIN}\n\n{reference()}\n{END}{tail}"
    if "--check" in sys.argv:
        if wanted != text:
            print("docs/plugins.md and habitd/hookspecs.py differ: run python tools/hookdoc.py")
            return 1
        return 0
    DOCS.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
