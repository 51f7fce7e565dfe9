"""Score rows with a model, after checking them against the feature schema."""

import pandas as pd

from {{ cookiecutter.package_name }}.pipeline.validate import CSV_FIRST_ROW_LINE, check_schema
from {{ cookiecutter.package_name }}.schema import FEATURE_SCHEMA, FEATURES, TARGET


def check_features(
    frame: pd.DataFrame, source: str, first_row_line: int = CSV_FIRST_ROW_LINE
) -> pd.DataFrame:
    """Return the feature columns in model order, or raise an error naming what is wrong."""
    features = frame.drop(columns=[TARGET], errors="ignore")
    return check_schema(features, source, FEATURE_SCHEMA, first_row_line)[list(FEATURES)]


def predict_frame(model, features: pd.DataFrame, decision_threshold: float) -> pd.DataFrame:
    """Return the positive-class probability and the predicted class of each row."""
    probability = model.predict_proba(features)[:, 1]
    return pd.DataFrame(
        {"probability": probability, "prediction": (probability >= decision_threshold).astype(int)},
        index=features.index,
    )
