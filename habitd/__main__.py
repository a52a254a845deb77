"""``python -m habitd`` is the same as the ``habitd`` command."""

from habitd.cli import main

main()
