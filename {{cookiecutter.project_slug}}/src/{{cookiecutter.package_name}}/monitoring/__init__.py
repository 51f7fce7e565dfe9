"""Watching a model after release: drift."""
