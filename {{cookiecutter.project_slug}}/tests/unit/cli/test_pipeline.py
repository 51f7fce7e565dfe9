from pathlib import Path

import yaml

from {{ cookiecutter.package_name }} import pipeline
from {{ cookiecutter.package_name }}.cli.main import build_parser, main
from {{ cookiecutter.package_name }}.cli.pipeline import stage_commands

DVC_YAML = Path(__file__).parents[3] / "dvc.yaml"


def test_each_stage_of_dvc_yaml_runs_its_own_command():
    stages = yaml.safe_load(DVC_YAML.read_text())["stages"]
    commands = {command.name for command in stage_commands()}
    assert commands == set(stages)
    for name, stage in stages.items():
        assert stage["cmd"] == f"python -m {pipeline.__name__.partition('.')[0]} {name}"


def test_a_stage_command_tells_what_the_stage_does_in_its_modules_words():
    helps = {command.name: command.help for command in stage_commands()}
    prepare = "split the validated raw data into train and test sets"
    assert helps["prepare"] == f"pipeline stage: {prepare}"
    tune = "search the train section's settings, when params.yaml turns the search on"
    assert helps["tune"] == f"pipeline stage: {tune}"
    parsers = build_parser()._subparsers._group_actions[0].choices
    assert parsers["tune"].description == helps["tune"]


def test_a_stage_module_without_its_first_line_is_named(tmp_path, monkeypatch, capsys):
    (tmp_path / "train.py").write_text('"""Fit the model."""\n')
    monkeypatch.setattr(pipeline, "__path__", [str(tmp_path)])
    assert main(["train"]) == 1
    assert capsys.readouterr().err == (
        f'error: {tmp_path / "train.py"}: the first line is to be the docstring """Stage train: '
        'what it does.""" (the help of the command that runs the stage)\n'
    )
