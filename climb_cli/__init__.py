"""bench: a command-line benchmark runner for class-imbalance methods on tabular data."""

__version__ = "0.1.0"
