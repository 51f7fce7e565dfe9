"""Stage profile: describe the training split, the reference that drift checks compare with."""

from {{ cookiecutter.package_name }}.core.config import Params
from {{ cookiecutter.package_name }}.core.data import read_table
from {{ cookiecutter.package_name }}.monitoring.drift.profile import build_profile, save_profile
from {{ cookiecutter.package_name }}.project.schema import DATA


def run(params: Params) -> dict:
    profile = build_profile(
        read_table(params.paths.train_data),
        source=str(params.paths.train_data),
        sample_size=params.drift.reference_sample_size,
        seed=params.split.seed,
    )
    save_profile(profile, params.paths.reference_profile)
    return {
        "rows": profile.rows,
        "sample_rows": profile.sample_rows,
        "features": len(DATA.features),
    }
