"""Services of the insights app, one module per job (callers import the module they need)."""
