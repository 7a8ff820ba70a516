"""Facts stated once and imported by both the dataset catalog builder and the reports."""

from __future__ import annotations

# CLIMB's imbalance levels, in order (majority / minority ratio cut-offs 5, 10, 50).
IR_LEVELS = ("ir-low", "ir-medium", "ir-high", "ir-extreme")


def ir_level(ir: float) -> str:
    """CLIMB's imbalance level: low < 5 <= medium < 10 <= high < 50 <= extreme."""
    return (
        "ir-low" if ir < 5 else "ir-medium" if ir < 10 else "ir-high" if ir < 50 else "ir-extreme"
    )
