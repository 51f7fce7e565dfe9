"""Predictions outside the service: rows checked and scored (predict), datasets (batch)."""
