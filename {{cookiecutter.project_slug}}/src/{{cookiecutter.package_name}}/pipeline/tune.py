"""Stage tune: search the train section's settings, when params.yaml turns the search on.

The stage always writes its output, so train can depend on it: when the search is off, the
output holds no settings and train uses the train section as written.
"""

import json

from {{ cookiecutter.package_name }}.core.config import Params


def run(params: Params) -> dict:
    result = _search(params) if params.tune.enabled else {"enabled": False, "best_params": {}}
    params.paths.tuned_params.parent.mkdir(parents=True, exist_ok=True)
    params.paths.tuned_params.write_text(json.dumps(result, indent=2) + "\n")
    return result


def _search(params: Params) -> dict:
    import mlflow

    from {{ cookiecutter.package_name }}.core.data import features_and_target, read_table
    from {{ cookiecutter.package_name }}.core.tuning import build_search, metric_value
    from {{ cookiecutter.package_name }}.infra import compute, tracking
    from {{ cookiecutter.package_name }}.registry import lineage

    features, target = features_and_target(read_table(params.paths.train_data))
    search = build_search(params)
    with compute.compute_on(compute.scheduler_address(params.compute)) as where:
        search.fit(features, target)

    tune, scoring = params.tune, params.tune.scoring
    best_params = search.best_estimator_.train_params().model_dump(
        mode="json", include=set(tune.space)
    )
    client = tracking.connect()
    experiment_id = tracking.ensure_experiment(client, params.mlflow.experiment)
    tags = {**lineage.git_facts(outputs=list(params.paths.model_dump().values())), "compute": where}
    with mlflow.start_run(experiment_id=experiment_id, run_name="tune", tags=tags) as parent:
        mlflow.log_params(
            {"method": tune.method, "cv_folds": tune.cv_folds, "scoring": scoring}
            | {f"best.{name}": value for name, value in best_params.items()}
        )
        mlflow.log_metric(f"best_cv_{scoring}", metric_value(params, search.best_score_))
        results = search.cv_results_
        for trial, candidate in enumerate(results["params"]):
            with mlflow.start_run(
                experiment_id=experiment_id, run_name=f"trial-{trial}", nested=True
            ):
                mlflow.log_params(candidate)
                mlflow.log_metrics(
                    {
                        f"cv_{scoring}": metric_value(params, results["mean_test_score"][trial]),
                        f"cv_{scoring}_std": results["std_test_score"][trial],
                        "rank": results["rank_test_score"][trial],
                        "fit_seconds": results["mean_fit_time"][trial],
                    }
                )
    return {
        "enabled": True,
        "best_params": best_params,
        f"best_cv_{scoring}": metric_value(params, float(search.best_score_)),
        "trials": len(results["params"]),
        "run_id": parent.info.run_id,
    }
