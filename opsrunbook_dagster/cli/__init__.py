"""The ``opsrunbook`` command line."""
