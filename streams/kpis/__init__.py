"""Pure KPI logic: folds of source records into per-partition partial sums, and KPI formulas."""
