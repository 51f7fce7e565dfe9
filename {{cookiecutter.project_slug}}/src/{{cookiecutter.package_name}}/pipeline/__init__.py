"""One module per DVC stage, each with a `run(params)` that the CLI calls."""
