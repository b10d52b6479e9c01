"""The ``mfconsole`` command line."""
