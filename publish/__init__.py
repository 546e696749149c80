"""Everything that leaves the warehouse: the BI snapshot, exports, the report, alerts and notifications."""
