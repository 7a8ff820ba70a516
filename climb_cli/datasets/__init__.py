"""Datasets: the catalog (datasets.yaml), loaders per source, and per-fold preprocessing."""
