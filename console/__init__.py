"""The operators' console: one command line over the three services (``resettle --help``)."""
