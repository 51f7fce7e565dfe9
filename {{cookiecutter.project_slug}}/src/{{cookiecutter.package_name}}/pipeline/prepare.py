"""Stage prepare: split the validated raw data into train and test sets."""

from sklearn.model_selection import train_test_split

from {{ cookiecutter.package_name }}.config import Params
from {{ cookiecutter.package_name }}.data import read_table, write_table
from {{ cookiecutter.package_name }}.schema import TARGET


def run(params: Params) -> dict:
    frame = read_table(params.paths.raw_data)
    train, test = train_test_split(
        frame,
        test_size=params.split.test_size,
        random_state=params.split.seed,
        stratify=frame[TARGET],
    )
    write_table(train, params.paths.train_data)
    write_table(test, params.paths.test_data)
    return {"train_rows": len(train), "test_rows": len(test)}
