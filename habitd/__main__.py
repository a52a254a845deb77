"""``python -m habitd`` is the same as the ``habitd`` command (its name, its completion)."""

from habitd.cli import main

main(prog_name="habitd")
