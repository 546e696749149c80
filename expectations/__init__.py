"""Great Expectations suites as code, and the adapter that runs them against DuckDB.

The suites are the measurement system analysis of METRICS.md: every raw entity and
every metrics.* table has one, built with the GX 1.x API. Great Expectations is
imported lazily (its import takes seconds), only when a suite is built or run.
"""
