"""Small one-shot D-Bus calls (dbus-fast): server information, the ``Inhibited`` property,
logind's state. Notifications themselves keep a connection (:mod:`habitd.freedesktop`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any


class BusError(Exception):
    """The bus answered with an error (the message names it), or could not be reached."""


class BusUnreachable(BusError):
    """No bus answers at the address."""


async def call(
    destination: str,
    path: str,
    interface: str,
    member: str,
    signature: str = "",
    body: Sequence[Any] = (),
    *,
    address: str | None = None,
    system: bool = False,
    timeout: float = 3.0,
) -> list[Any]:
    """Call one method on a connection of its own and return the reply's body; raises
    :class:`BusError` on any failure."""
    from dbus_fast import BusType
    from dbus_fast.aio import MessageBus

    try:
        bus = await asyncio.wait_for(
            MessageBus(
                bus_address=address, bus_type=BusType.SYSTEM if system else BusType.SESSION
            ).connect(),
            timeout,
        )
    except Exception as exc:
        raise BusUnreachable(
            f"cannot reach the {'system' if system else 'session'} bus: {type(exc).__name__}: {exc}"
        ) from None
    try:
        return await call_on(bus, destination, path, interface, member, signature, body, timeout)
    finally:
        bus.disconnect()


async def call_on(
    bus: Any,
    destination: str,
    path: str,
    interface: str,
    member: str,
    signature: str = "",
    body: Sequence[Any] = (),
    timeout: float = 3.0,
) -> list[Any]:
    """Call one method over an open connection (a dbus-fast ``MessageBus``) and return the
    reply's body; raises :class:`BusError` on any failure."""
    from dbus_fast import Message as BusMessage
    from dbus_fast import MessageType

    try:
        reply = await asyncio.wait_for(
            bus.call(
                BusMessage(
                    destination=destination,
                    path=path,
                    interface=interface,
                    member=member,
                    signature=signature,
                    body=list(body),
                )
            ),
            timeout,
        )
    except Exception as exc:
        raise BusError(f"{member} failed: {type(exc).__name__}: {exc}") from None
    if reply is None:
        raise BusError(f"{member}: no reply")
    if reply.message_type == MessageType.ERROR:
        raise BusError(f"{reply.error_name}: {' '.join(map(str, reply.body))}")
    return list(reply.body)


async def get_property(
    destination: str, path: str, interface: str, name: str, **options: Any
) -> Any:
    """Read one property (``org.freedesktop.DBus.Properties.Get``)."""
    body = await call(
        destination,
        path,
        "org.freedesktop.DBus.Properties",
        "Get",
        "ss",
        (interface, name),
        **options,
    )
    return getattr(body[0], "value", body[0])
