"""The ``cua-replay`` command line: thin fronts over the library."""
