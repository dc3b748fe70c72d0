"""eros-migrate: versioned, linted, ledgered schema migrations for Google BigQuery."""

__version__ = "0.1.0"
