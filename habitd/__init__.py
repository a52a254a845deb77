"""habitd: a kind, local-only reminder and habit daemon, built from plugins.

Plugin authors need one name from here::

    from habitd import hookimpl

It is loaded lazily so that the command-line client stays light: importing ``habitd``
costs nothing beyond this file.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # type checkers see the real marker; at run time it loads on first use
    from habitd.hookspecs import hookimpl as hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]


def __getattr__(name: str) -> object:
    if name == "hookimpl":
        from habitd.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module 'habitd' has no attribute {name!r}")
