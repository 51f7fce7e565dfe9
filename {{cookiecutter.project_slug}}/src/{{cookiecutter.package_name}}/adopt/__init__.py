"""`make adopt`: make a table of your own the project's data, in one command.

It copies the table into data/raw and versions it with DVC, drafts its description
(schema.py) from the values, picks the task from the target, and sets params.yaml and dvc.yaml
for that task. Every check runs before anything is written: a table that cannot be adopted
leaves the project as it was.
"""
