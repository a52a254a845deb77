"""Exceptions that carry a message meant for a person, and the exit code that goes with it."""


class HabitdError(Exception):
    """An error a person can act on. Its message is shown as is; ``exit_code`` is for the CLI."""

    exit_code = 1
    rpc_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(HabitdError):
    """A named thing (nudge, habit, plugin) does not exist."""

    rpc_code = 2


class InvalidInput(HabitdError):
    """A value given by the person is malformed or out of range."""

    rpc_code = 3


class DatabaseGone(HabitdError):
    """The database file the daemon writes to was removed or replaced under it (an ``rm``,
    a restore by hand): a write now would be confirmed into a file no one will read again.
    The client then writes to the database at that name itself."""

    rpc_code = 5


class DaemonNotRunning(HabitdError):
    """The command needs the daemon and none answers on the socket."""

    exit_code = 3
    rpc_code = 4
