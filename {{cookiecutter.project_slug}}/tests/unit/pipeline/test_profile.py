from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.description import Numeric
from {{ cookiecutter.package_name }}.monitoring.drift.profile import load_profile, value_counts
from {{ cookiecutter.package_name }}.pipeline import profile
from {{ cookiecutter.package_name }}.project.schema import DATA


def test_the_profile_describes_the_train_split_and_is_repeatable(valid_frame, tmp_path):
    params = load_params()
    train = tmp_path / "train.csv"
    valid_frame.to_csv(train, index=False)
    paths = params.paths.model_copy(
        update={"train_data": train, "reference_profile": tmp_path / "models/profile.json"}
    )
    params = params.model_copy(update={"paths": paths})

    rows, features = len(valid_frame), len(DATA.features)
    assert profile.run(params) == {"rows": rows, "sample_rows": rows, "features": features}
    first = paths.reference_profile.read_bytes()
    profile.run(params)

    assert paths.reference_profile.read_bytes() == first
    saved = load_profile(paths.reference_profile)
    assert list(saved.features) == DATA.feature_names
    for feature in DATA.features:
        described, values = saved.features[feature.name], valid_frame[feature.name]
        assert described.missing == values.isna().sum(), feature.name
        if isinstance(feature, Numeric):
            assert described.sample == values.dropna().tolist(), feature.name
        else:
            assert described.counts == value_counts(values).to_dict(), feature.name
