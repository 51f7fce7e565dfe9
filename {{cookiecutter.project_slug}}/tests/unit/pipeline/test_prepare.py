from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.data import read_table
from {{ cookiecutter.package_name }}.pipeline import prepare
from {{ cookiecutter.package_name }}.schema import TARGET


def test_the_split_is_stratified_and_repeatable(valid_frame, tmp_path):
    params = load_params()
    raw = tmp_path / "raw.csv"
    valid_frame.to_csv(raw, index=False)
    paths = params.paths.model_copy(
        update={
            "raw_data": raw,
            "train_data": tmp_path / "train.csv",
            "test_data": tmp_path / "test.csv",
        }
    )
    params = params.model_copy(update={"paths": paths})

    counts = prepare.run(params)
    first = read_table(paths.test_data)
    prepare.run(params)

    assert counts["train_rows"] + counts["test_rows"] == len(valid_frame)
    assert read_table(paths.test_data).equals(first)
    assert abs(first[TARGET].mean() - valid_frame[TARGET].mean()) < 0.05
