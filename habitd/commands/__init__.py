"""The built-in commands, one module per area, imported only when their command runs."""
