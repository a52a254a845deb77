"""habitd's built-in features, each an ordinary plugin that uses only the public hooks."""
