"""Drift detection: is a new batch of data still like the data the model was trained on?

`profile` describes the training split (a DVC output), `batch` reads the data to check,
`compare` tests each feature and decides, `report` draws what drifted, `check` runs them all.
"""
