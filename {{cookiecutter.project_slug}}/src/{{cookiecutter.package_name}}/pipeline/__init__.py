"""One module per DVC stage, each with a `run(params)` that the CLI calls: its command, named
after the module, says what the stage does with the first line of the module's docstring,
`Stage <name>: what it does.`"""
