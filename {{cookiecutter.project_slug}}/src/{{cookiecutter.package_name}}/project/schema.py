"""Your data: each column, what a valid value is, and the target. This file is yours.

Everything that checks or reads data (validation, the model, serving, batch scoring, drift
checks) is derived from `DATA`, so a column is declared here once. `make adopt` drafts this
file from your own table; review what it decided. The kinds: Numeric (optional bounds ge and
le), Categorical (its values), Boolean; each may be `nullable`. Identifiers are kept beside
every prediction but never fed to the model; `time` orders the rows (and can split them);
`ignored` columns may be in the file and are dropped.
"""

from {{ cookiecutter.package_name }}.core.description import DataDescription, Numeric, Target

{%- if cookiecutter.task == "binary" %}

# scikit-learn's breast cancer data: measurements of cell nuclei, and whether the tumour is
# malignant. Cell measurements are sizes and ratios: never negative, and far below 10,000.
DATA = DataDescription(
    features=[
        Numeric("mean_radius", ge=0, le=10_000),
        Numeric("mean_texture", ge=0, le=10_000),
        Numeric("mean_perimeter", ge=0, le=10_000),
        Numeric("mean_area", ge=0, le=10_000),
        Numeric("mean_smoothness", ge=0, le=10_000),
        Numeric("mean_compactness", ge=0, le=10_000),
        Numeric("mean_concavity", ge=0, le=10_000),
        Numeric("mean_concave_points", ge=0, le=10_000),
        Numeric("mean_symmetry", ge=0, le=10_000),
        Numeric("mean_fractal_dimension", ge=0, le=10_000),
        Numeric("radius_error", ge=0, le=10_000),
        Numeric("texture_error", ge=0, le=10_000),
        Numeric("perimeter_error", ge=0, le=10_000),
        Numeric("area_error", ge=0, le=10_000),
        Numeric("smoothness_error", ge=0, le=10_000),
        Numeric("compactness_error", ge=0, le=10_000),
        Numeric("concavity_error", ge=0, le=10_000),
        Numeric("concave_points_error", ge=0, le=10_000),
        Numeric("symmetry_error", ge=0, le=10_000),
        Numeric("fractal_dimension_error", ge=0, le=10_000),
        Numeric("worst_radius", ge=0, le=10_000),
        Numeric("worst_texture", ge=0, le=10_000),
        Numeric("worst_perimeter", ge=0, le=10_000),
        Numeric("worst_area", ge=0, le=10_000),
        Numeric("worst_smoothness", ge=0, le=10_000),
        Numeric("worst_compactness", ge=0, le=10_000),
        Numeric("worst_concavity", ge=0, le=10_000),
        Numeric("worst_concave_points", ge=0, le=10_000),
        Numeric("worst_symmetry", ge=0, le=10_000),
        Numeric("worst_fractal_dimension", ge=0, le=10_000),
    ],
    target=Target("malignant", labels=(0, 1), positive=1),
)
{%- elif cookiecutter.task == "multiclass" %}

# scikit-learn's wine data: a chemical analysis of wines from three cultivars.
DATA = DataDescription(
    features=[
        Numeric("alcohol", ge=0, le=10_000),
        Numeric("malic_acid", ge=0, le=10_000),
        Numeric("ash", ge=0, le=10_000),
        Numeric("alcalinity_of_ash", ge=0, le=10_000),
        Numeric("magnesium", ge=0, le=10_000),
        Numeric("total_phenols", ge=0, le=10_000),
        Numeric("flavanoids", ge=0, le=10_000),
        Numeric("nonflavanoid_phenols", ge=0, le=10_000),
        Numeric("proanthocyanins", ge=0, le=10_000),
        Numeric("color_intensity", ge=0, le=10_000),
        Numeric("hue", ge=0, le=10_000),
        Numeric("od280_od315_of_diluted_wines", ge=0, le=10_000),
        Numeric("proline", ge=0, le=10_000),
    ],
    target=Target("cultivar", labels=("cultivar_1", "cultivar_2", "cultivar_3")),
)
{%- else %}

# scikit-learn's diabetes data: age, sex, body mass index, blood pressure and six blood serum
# measurements, and a measure of the disease's progression one year later.
DATA = DataDescription(
    features=[
        Numeric("age", ge=0, le=1_000),
        Numeric("sex", ge=0, le=1_000),
        Numeric("bmi", ge=0, le=1_000),
        Numeric("bp", ge=0, le=1_000),
        Numeric("tc", ge=0, le=1_000),
        Numeric("ldl", ge=0, le=1_000),
        Numeric("hdl", ge=0, le=1_000),
        Numeric("tch", ge=0, le=1_000),
        Numeric("ltg", ge=0, le=1_000),
        Numeric("glu", ge=0, le=1_000),
    ],
    target=Target("progression"),
)
{%- endif %}
