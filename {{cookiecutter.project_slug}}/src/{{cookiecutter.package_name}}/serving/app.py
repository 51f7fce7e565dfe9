"""The HTTP API: /predict, /health, /ready, /model, /metrics and the OpenAPI docs."""

import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.background import BackgroundTask

from {{ cookiecutter.package_name }}.serving.metrics import CONTENT_TYPE
from {{ cookiecutter.package_name }}.serving.schemas import RejectedRequestError, response_schema
from {{ cookiecutter.package_name }}.serving.service import SERVED, Service, new_request_id
from {{ cookiecutter.package_name }}.serving.settings import ServingSettings

KEY_HEADER = "X-Request-Key"
VERSION_HEADER = "X-Model-Version"
RETRY_AFTER_SECONDS = "2"

logger = logging.getLogger(__name__)


class PredictionResponse(BaseModel):
    # Each prediction's fields are the task's (tasks.py); /openapi.json lists them once the
    # model has loaded.
    model_version: str
    predictions: list[dict[str, Any]]


class Problem(BaseModel):
    detail: str | list[dict]


PREDICT_RESPONSES = {
    200: {"model": PredictionResponse, "description": "One prediction per row, in order"},
    413: {"model": Problem, "description": "More rows than SERVING_MAX_BATCH_ROWS"},
    422: {"model": Problem, "description": "Each problem, naming its row and field"},
    503: {"model": Problem, "description": "The model is still loading"},
}


def create_app(
    settings: ServingSettings, on_load_failure: Callable[[], None] | None = None
) -> FastAPI:
    """Build the app; its models load in the background once it starts."""
    service = Service(settings)

    def load() -> None:
        if not service.load() and on_load_failure is not None:
            on_load_failure()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=load, name="model-loader", daemon=True).start()
        yield
        service.close()

    app = FastAPI(
        title="{{ cookiecutter.project_slug }} model service",
        description=f"Rollout: {settings.rollout}. Send `{KEY_HEADER}` to keep a caller on one "
        "model and to find its predictions in the log.",
        lifespan=lifespan,
    )
    app.state.service = service

    def not_ready() -> JSONResponse:
        detail = (
            f"the model failed to load: {service.failure}"
            if service.state == "failed"
            else "the model is still loading; retry when /ready answers 200"
        )
        return JSONResponse(
            {"detail": detail}, status_code=503, headers={"Retry-After": RETRY_AFTER_SECONDS}
        )

    @app.get("/health", summary="The process is alive")
    async def health() -> dict:
        return {"status": "alive"}

    @app.get("/ready", summary="The models are loaded (503 until then)")
    async def ready() -> JSONResponse:
        if not service.ready:
            body = {"status": service.state, "detail": service.failure}
            return JSONResponse(body, status_code=503, headers={"Retry-After": RETRY_AFTER_SECONDS})
        versions = {role: model.version for role, model in service.loaded.models.items()}
        return JSONResponse({"status": "ready", **versions})

    @app.get("/model", summary="The versions served, their lineage and the rollout")
    async def model() -> JSONResponse:
        if not service.ready:
            return not_ready()
        models = service.loaded.models
        return JSONResponse(
            {
                "rollout": {
                    "mode": settings.rollout,
                    "challenger_weight": settings.challenger_weight
                    if settings.rollout == "canary"
                    else None,
                },
                **{role: served.describe() for role, served in models.items()},
            }
        )

    @app.get("/metrics", summary="Prometheus metrics per model version")
    async def metrics() -> Response:
        return Response(service.metrics.exposition(), media_type=CONTENT_TYPE)

    @app.post("/predict", summary="Score one row or a batch", responses=PREDICT_RESPONSES)
    async def predict(request: Request) -> Response:
        if not service.ready:
            return not_ready()
        started = time.perf_counter()
        key = request.headers.get(KEY_HEADER)
        route = service.router.route(key)
        version = service.model(route.served).version
        headers = {VERSION_HEADER: version}
        metrics = service.metrics_for(route.served, SERVED)
        metrics.requests.inc()
        try:
            parsed = service.schema.parse(await request.body())
        except RejectedRequestError as rejection:
            metrics.client_errors.inc()
            return JSONResponse(
                {"detail": rejection.detail}, status_code=rejection.status_code, headers=headers
            )
        request_id = new_request_id()
        try:
            outputs = service.score(route.served, SERVED, parsed, request_id, key)
        except Exception:
            metrics.server_errors.inc()
            logger.exception("model version %s failed to score a request", version)
            return JSONResponse(
                {"detail": f"model version {version} failed to score the request; see the log"},
                status_code=500,
                headers=headers,
            )
        background = (
            BackgroundTask(service.shadow, route.shadow, parsed, request_id, key)
            if route.shadow
            else None
        )
        body = '{"model_version":' + json.dumps(version) + ',"predictions":' + outputs + "}"
        metrics.latency.observe(time.perf_counter() - started)
        return Response(body, media_type="application/json", headers=headers, background=background)

    def openapi() -> dict:
        """The schema, with the request and response bodies of the data description and the
        task once the model is loaded."""
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        if service.ready:
            operation = schema["paths"]["/predict"]["post"]
            operation["requestBody"] = service.schema.openapi_request_body()
            answer = operation["responses"]["200"]["content"]["application/json"]
            answer["schema"] = response_schema(service.task)
            operation["parameters"] = [
                {
                    "name": KEY_HEADER,
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "Who or what the request is for: the same key always "
                    "reaches the same model in a canary rollout",
                }
            ]
            app.openapi_schema = schema
        return schema

    app.openapi = openapi
    return app
