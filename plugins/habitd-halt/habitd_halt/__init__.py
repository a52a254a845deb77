"""habitd-halt: a HALT check-in for habitd (hungry, angry, lonely or tired?).

The hooks live in :mod:`habitd_halt.hooks` and the command in :mod:`habitd_halt.command`;
this file stays tiny, because Python runs it before either (``habitd halt`` must start
fast)."""

__version__ = "0.1.0"
