"""The model card of a registered version: what it is for, how it does, and where it came from.

`measure` scores the version on the test split (intervals, slices, fairness, importance),
`build` gathers the card and attaches it to the version's run and description, `render` writes
it as Markdown and as a self-contained HTML page; `files` names the card's files.
"""
