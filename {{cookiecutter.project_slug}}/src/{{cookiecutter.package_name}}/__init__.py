"""The project's package: its pipeline stages, registry, serving and command line."""
