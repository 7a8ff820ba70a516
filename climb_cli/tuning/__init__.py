"""Nested hyperparameter selection, the parts the engine's search stage (engine/search.py) builds
on: search spaces (``space``), the ``tuning:`` block (``settings``), staged predictions (``staged``)."""
