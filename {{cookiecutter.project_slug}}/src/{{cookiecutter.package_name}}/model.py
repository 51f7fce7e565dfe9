"""The estimator and its hyperparameters. Swap in your own model here, with its settings in
the `train` section of params.yaml: these two are yours, the template's plumbing calls them."""

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


class TrainParams(BaseModel):
    """The `train` section of params.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    C: float = Field(gt=0)
    max_iter: int = Field(ge=1)
    class_weight: Literal["balanced"] | None = None


def build_model(params: TrainParams, seed: int) -> "Pipeline":
    # scikit-learn loads here rather than on import, so reading params.yaml stays fast.
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "classify",
                LogisticRegression(
                    C=params.C,
                    max_iter=params.max_iter,
                    class_weight=params.class_weight,
                    random_state=seed,
                ),
            ),
        ]
    )
