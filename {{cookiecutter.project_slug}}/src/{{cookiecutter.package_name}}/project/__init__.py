"""Yours: the description of your data (schema.py) and your estimator (model.py)."""
