from sklearn.base import clone

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.model import build_model
from {{ cookiecutter.package_name }}.schema import FEATURES, TARGET
from {{ cookiecutter.package_name }}.tuning import TrainParamsClassifier, build_search


def with_search(**changes):
    params = load_params()
    return params.model_copy(update={"tune": params.tune.model_copy(update=changes)})


def test_the_searchable_model_fits_what_build_model_builds(valid_frame):
    params = load_params()
    features, target = valid_frame[list(FEATURES)], valid_frame[TARGET]
    searchable = TrainParamsClassifier(seed=7, **params.train.model_dump()).fit(features, target)
    direct = build_model(params.train, seed=7).fit(features, target)
    assert (searchable.predict_proba(features) == direct.predict_proba(features)).all()


def test_the_searchable_model_clones_with_new_settings():
    model = TrainParamsClassifier(seed=1, **load_params().train.model_dump())
    changed = clone(model).set_params(C=0.5)
    assert changed.train_params().C == 0.5
    assert model.train_params().C == load_params().train.C


def test_a_grid_search_tries_every_combination(valid_frame):
    search = build_search(with_search(method="grid", cv_folds=3))
    search.fit(valid_frame[list(FEATURES)], valid_frame[TARGET])
    assert len(search.cv_results_["params"]) == 8
    assert search.best_params_["C"] in {0.01, 0.1, 1.0, 10.0}


def test_a_randomized_search_samples_ranges_repeatably(valid_frame):
    space = {"C": {"distribution": "loguniform", "low": 0.01, "high": 10.0}}
    params = with_search(method="random", n_iter=4, cv_folds=3)
    params = params.model_copy(
        update={"tune": params.tune.model_validate({**params.tune.model_dump(), "space": space})}
    )
    features, target = valid_frame[list(FEATURES)], valid_frame[TARGET]
    first = build_search(params).fit(features, target).cv_results_["params"]
    second = build_search(params).fit(features, target).cv_results_["params"]
    assert first == second
    assert len({candidate["C"] for candidate in first}) == 4
    assert all(0.01 <= candidate["C"] <= 10.0 for candidate in first)
