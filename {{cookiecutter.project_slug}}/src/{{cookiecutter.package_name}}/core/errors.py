"""Errors meant for people: each says what was wrong, where, and what to do next."""


class ProjectError(Exception):
    """A problem the user can fix; the CLI prints it without a traceback."""


class ConfigError(ProjectError):
    """A parameter file or setting is missing or invalid."""


class DataValidationError(ProjectError):
    """Input data does not match the schema."""


class TrackingError(ProjectError):
    """The MLflow tracking server or registry cannot be used."""


class ComputeError(ProjectError):
    """The Dask cluster named by the configuration cannot be used."""


class UnsafeModelError(ProjectError):
    """A saved model that loading could let run code, so it is not loaded (model_files.py)."""
