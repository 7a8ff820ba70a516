"""Reports built from the stored results table only."""
