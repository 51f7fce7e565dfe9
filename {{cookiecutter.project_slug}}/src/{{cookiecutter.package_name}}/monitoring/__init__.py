"""Watching the models after release: whether the inputs drifted from the training data
(`drift/`), labels given after the fact, joined to the predictions they name (`labels`), and
each version's live quality measured with them (`quality`)."""
