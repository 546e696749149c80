"""Export formats: one module per format, discovered by `registry`."""
