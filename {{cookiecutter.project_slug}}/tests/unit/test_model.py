from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.model import build_model
from {{ cookiecutter.package_name }}.schema import FEATURES, TARGET


def test_the_model_learns_a_simple_rule(valid_frame):
    params = load_params()
    model = build_model(params.train, seed=params.split.seed)
    model.fit(valid_frame[list(FEATURES)], valid_frame[TARGET])
    assert model.score(valid_frame[list(FEATURES)], valid_frame[TARGET]) > 0.9
