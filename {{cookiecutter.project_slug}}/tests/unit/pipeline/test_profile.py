from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.drift.profile import load_profile
from {{ cookiecutter.package_name }}.pipeline import profile
from {{ cookiecutter.package_name }}.schema import FEATURES


def test_the_profile_describes_the_train_split_and_is_repeatable(valid_frame, tmp_path):
    params = load_params()
    train = tmp_path / "train.csv"
    valid_frame.to_csv(train, index=False)
    paths = params.paths.model_copy(
        update={"train_data": train, "reference_profile": tmp_path / "models/profile.json"}
    )
    params = params.model_copy(update={"paths": paths})

    assert profile.run(params) == {"rows": 150, "sample_rows": 150, "features": len(FEATURES)}
    first = paths.reference_profile.read_bytes()
    profile.run(params)

    assert paths.reference_profile.read_bytes() == first
    saved = load_profile(paths.reference_profile)
    assert list(saved.features) == list(FEATURES)
    assert saved.features["mean_radius"].sample == valid_frame["mean_radius"].tolist()
