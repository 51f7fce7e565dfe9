import json

from {{ cookiecutter.package_name }}.cli.main import main


def test_build_args_label_an_image_with_the_exported_model(tmp_path, capsys):
    record = {"model_name": "m", "version": "3", "run_id": "r1", "tags": {"git_commit": "c0"}}
    (tmp_path / "lineage.json").write_text(json.dumps(record))
    assert main(["build-args", str(tmp_path)]) == 0
    assert capsys.readouterr().out.split() == [
        "--build-arg", "MODEL_NAME=m", "--build-arg", "MODEL_VERSION=3",
        "--build-arg", "MODEL_RUN_ID=r1", "--build-arg", "GIT_COMMIT=c0",
    ]  # fmt: skip


def test_build_args_without_an_export_say_what_to_run(tmp_path, capsys):
    assert main(["build-args", str(tmp_path)]) == 1
    assert "run `make export` first" in capsys.readouterr().err


def test_bad_serving_settings_are_one_clear_line(monkeypatch, capsys):
    monkeypatch.setenv("SERVING_ROLLOUT", "shadow")
    assert main(["serve"]) == 1
    assert capsys.readouterr().err == (
        "error: serving settings: SERVING_ROLLOUT=shadow needs SERVING_CHALLENGER "
        "(for example models:/<name>@challenger)\n"
    )
