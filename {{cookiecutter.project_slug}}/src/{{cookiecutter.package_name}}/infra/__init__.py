"""Where work runs and what is stored: compute (Dask), tracking (MLflow), versioning (DVC)."""
