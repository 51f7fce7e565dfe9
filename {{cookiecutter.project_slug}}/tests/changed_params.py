"""Values other than the project's own, for tests that change a param: whatever params.yaml
holds, the change is a change."""

from typing import Any

from {{ cookiecutter.package_name }}.core.config import Distribution, Params


def another_train_value(params: Params) -> tuple[str, Any]:
    """A setting of the train section and a value for it, other than its current one, from the
    search space (whose values the train section accepts)."""
    for name, values in params.tune.space.items():
        if isinstance(values, Distribution):
            ends = [values.low, values.high]
            values = [int(end) for end in ends] if values.distribution == "randint" else ends
        for value in values:
            if value != getattr(params.train, name):
                return name, value
    raise AssertionError("tune.space in params.yaml offers no value other than the train section's")
