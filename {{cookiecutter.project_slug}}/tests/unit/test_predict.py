import pytest
from sklearn.dummy import DummyClassifier

from {{ cookiecutter.package_name }}.errors import DataValidationError
from {{ cookiecutter.package_name }}.predict import check_features, predict_frame
from {{ cookiecutter.package_name }}.schema import FEATURES, TARGET


def test_features_come_back_in_model_order_without_the_target(valid_frame):
    shuffled = valid_frame[[TARGET, *reversed(FEATURES)]]
    assert list(check_features(shuffled, "request").columns) == list(FEATURES)


def test_a_missing_feature_is_named(valid_frame):
    with pytest.raises(DataValidationError, match=r"(?s)^request: .*missing\): 'mean_radius'"):
        check_features(valid_frame.drop(columns=["mean_radius"]), "request")


def test_a_value_of_the_wrong_type_is_named_with_its_line(valid_frame):
    valid_frame["mean_area"] = valid_frame["mean_area"].astype(object)
    valid_frame.loc[2, "mean_area"] = "large"
    with pytest.raises(DataValidationError, match=r"column 'mean_area' failed .*line 4: 'large'"):
        check_features(valid_frame, "request")


def test_predictions_follow_the_decision_threshold(valid_frame):
    features = valid_frame[list(FEATURES)]
    model = DummyClassifier(strategy="prior").fit(features, [0, 1, 1] * 50)
    predictions = predict_frame(model, features, decision_threshold=0.6)
    assert predictions["probability"].round(3).eq(0.667).all()
    assert predictions["prediction"].eq(1).all()
    assert predict_frame(model, features, decision_threshold=0.7)["prediction"].eq(0).all()
