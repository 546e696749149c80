"""Everything that leaves the warehouse: the BI snapshot, exports for other tools."""
