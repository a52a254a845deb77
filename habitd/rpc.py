"""JSON-RPC methods: the marker that exposes a method, and the checks every call passes.

Methods are exposed with :func:`rpc` (the core's operations and the daemon's own); a call
is checked against the method's signature and type hints before it runs, so bad params are
a JSON-RPC ``invalid params`` error (the codes are :mod:`habitd.ipc`'s), never a crash.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from habitd.errors import HabitdError
from habitd.ipc import INVALID_PARAMS, METHOD_NOT_FOUND

_F = TypeVar("_F", bound=Callable[..., Any])


def rpc(function: _F) -> _F:
    """Mark a method as callable over JSON-RPC (and so from the CLI)."""
    function.__habitd_rpc__ = True  # type: ignore[attr-defined]
    return function


def reads(function: _F) -> _F:
    """Mark an RPC method that only reads: it runs beside the writes (on a reading thread,
    through its own connection), never queued behind them on the writer."""
    function.__habitd_reads__ = True  # type: ignore[attr-defined]
    return function


def only_reads(function: Any) -> bool:
    """Was ``function`` marked with :func:`reads`?"""
    return bool(getattr(function, "__habitd_reads__", False))


def is_rpc(function: Any) -> bool:
    """Was ``function`` marked with :func:`rpc`?"""
    return bool(getattr(function, "__habitd_rpc__", False))


def exposed(cls: type) -> frozenset[str]:
    """The names of the methods of ``cls`` marked with :func:`rpc`."""
    return frozenset(name for name, value in vars(cls).items() if is_rpc(value))


class RpcError(HabitdError):
    """A JSON-RPC protocol error (unknown method, bad params) with its standard code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.rpc_code = code


def unknown(method: str) -> RpcError:
    """The error for a method nobody offers."""
    return RpcError(METHOD_NOT_FOUND, f"unknown method {method!r}")


def check_params(function: Callable[..., Any], params: dict[str, Any]) -> None:
    """JSON-RPC ``invalid params`` unless ``params`` fit the function's names and types."""
    import inspect

    signature = inspect.signature(function)
    try:
        signature.bind(**params)
    except TypeError as exc:
        raise RpcError(INVALID_PARAMS, f"invalid params: {exc}") from None
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # a plugin's method with unresolvable annotations: names only
        return
    for name, value in params.items():
        expected = hints.get(name)
        if expected is not None and not _matches(value, expected):
            raise RpcError(
                INVALID_PARAMS,
                f"invalid params: {name} must be {_type_name(expected)}, "
                f"got {type(value).__name__}",
            )


def _matches(value: Any, expected: Any) -> bool:
    options = (
        typing.get_args(expected)
        if isinstance(expected, types.UnionType) or (typing.get_origin(expected) is typing.Union)
        else (expected,)
    )
    for option in options:
        if option is type(None) and value is None:
            return True
        if option is float and isinstance(value, int | float) and not isinstance(value, bool):
            return True
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if option in (str, bool) and isinstance(value, option):
            return True
        if option is Any or (
            typing.get_origin(option) in (dict, list)
            and isinstance(value, typing.get_origin(option))
        ):
            return True
    return False


def _type_name(expected: Any) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        type(None): "null",
    }
    options = typing.get_args(expected) or (expected,)
    return " or ".join(names.get(option, str(option)) for option in options)
