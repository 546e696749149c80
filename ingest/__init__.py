"""Landing zone -> raw DuckDB tables: discovery, format detection, typed atomic loads."""
