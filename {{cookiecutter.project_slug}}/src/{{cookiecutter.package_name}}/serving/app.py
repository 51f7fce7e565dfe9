"""The HTTP API: /predict, /feedback, /health, /ready, /model, /model/card, /metrics and the
OpenAPI docs."""

import hmac
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.background import BackgroundTask

from {{ cookiecutter.package_name }}.monitoring.labels import (
    KEY,
    LABEL,
    ROW,
    TIME,
    LabelError,
    given_label,
)
from {{ cookiecutter.package_name }}.serving.limits import RequestLimits
from {{ cookiecutter.package_name }}.serving.metrics import CONTENT_TYPE
from {{ cookiecutter.package_name }}.serving.rollout import CHAMPION
from {{ cookiecutter.package_name }}.serving.schemas import (
    RejectedRequestError,
    listed,
    response_schema,
)
from {{ cookiecutter.package_name }}.serving.served_model import ServedModel
from {{ cookiecutter.package_name }}.serving.service import SERVED, Service, new_request_id
from {{ cookiecutter.package_name }}.serving.settings import ServingSettings

KEY_HEADER = "X-Request-Key"
# The prediction's id, as the log keeps it: a label given later may name the prediction by it.
REQUEST_ID_HEADER = "X-Request-Id"
VERSION_HEADER = "X-Model-Version"
RETRY_AFTER_SECONDS = "2"
MARKDOWN = "text/markdown; charset=utf-8"
BEARER = "Bearer "
FEEDBACK_SOURCE = "http"
# Never refused as busy: the probes, and the metrics that show the load.
UNBOUNDED_PATHS = ("/health", "/ready", "/metrics")

logger = logging.getLogger(__name__)


class PredictionResponse(BaseModel):
    # Each prediction's fields are the task's (tasks.py); /openapi.json lists them once the
    # model has loaded.
    model_version: str
    predictions: list[dict[str, Any]]


class FeedbackResponse(BaseModel):
    recorded: int
    detail: str


class Problem(BaseModel):
    detail: str | list[dict]


PREDICT_RESPONSES = {
    200: {"model": PredictionResponse, "description": "One prediction per row, in order"},
    401: {"model": Problem, "description": "SERVING_API_KEY is set and the request lacks it"},
    408: {"model": Problem, "description": "The body took over SERVING_BODY_TIMEOUT_SECONDS"},
    413: {
        "model": Problem,
        "description": "More rows than SERVING_MAX_BATCH_ROWS, or more bytes than "
        "SERVING_MAX_BODY_BYTES",
    },
    415: {"model": Problem, "description": "The body is not sent as application/json"},
    422: {"model": Problem, "description": "Each problem, naming its row and field"},
    503: {
        "model": Problem,
        "description": "The model is still loading, or SERVING_MAX_CONCURRENT_REQUESTS are "
        "in flight",
    },
}

FEEDBACK_RESPONSES = {
    202: {"model": FeedbackResponse, "description": "Every label of the body is recorded"},
    401: PREDICT_RESPONSES[401],
    408: PREDICT_RESPONSES[408],
    413: {"model": Problem, "description": "More bytes than SERVING_MAX_BODY_BYTES"},
    415: PREDICT_RESPONSES[415],
    422: {
        "model": Problem,
        "description": "Each problem, naming its item and field; no label of the body is recorded",
    },
    503: PREDICT_RESPONSES[503],
}

# What /feedback reads, for the docs: the body is parsed by the endpoint, which names each
# problem by its item and field.
FEEDBACK_LABEL = {
    "type": "object",
    "required": [KEY, LABEL],
    "properties": {
        KEY: {
            "type": "string",
            "description": "The X-Request-Key sent, or the X-Request-Id answered",
        },
        LABEL: {"description": "One of the target's labels; a number for regression"},
        ROW: {
            "type": "integer",
            "minimum": 0,
            "default": 0,
            "description": "The row's position in its request",
        },
        TIME: {
            "type": "string",
            "format": "date-time",
            "description": "When the label became known; default now",
        },
    },
    "additionalProperties": False,
}
FEEDBACK_REQUEST_BODY = {
    "required": True,
    "description": "One label as an object, or several as an array of objects.",
    "content": {
        "application/json": {
            "schema": {
                "anyOf": [FEEDBACK_LABEL, {"type": "array", "items": FEEDBACK_LABEL, "minItems": 1}]
            }
        }
    },
}


# Every dependency is async: FastAPI runs a plain function in a thread, a hop per request.
async def get_service(request: Request) -> Service:
    """The service of the app that received the request (create_app puts it there)."""
    return request.app.state.service


AnyService = Annotated[Service, Depends(get_service)]


async def key_holder(service: AnyService, request: Request) -> Service:
    """The service, for a request that carries SERVING_API_KEY when one is set; else 401."""
    if service.settings.api_key is not None and not holds_key(service.settings, request):
        raise HTTPException(
            401,
            "send the key as `Authorization: Bearer <key>` (SERVING_API_KEY)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return service


def require_ready(service: Service) -> Service:
    """The service, once its models are loaded; else 503, saying why they are not."""
    if service.ready:
        return service
    detail = (
        f"the model failed to load: {service.failure}"
        if service.state == "failed"
        else "the model is still loading; retry when /ready answers 200"
    )
    raise HTTPException(503, detail, headers={"Retry-After": RETRY_AFTER_SECONDS})


async def ready_service(service: AnyService) -> Service:
    return require_ready(service)


async def ready_for_key_holder(service: Annotated[Service, Depends(key_holder)]) -> Service:
    """Refused without the key first, then while the models load: as /predict answers."""
    return require_ready(service)


ReadyService = Annotated[Service, Depends(ready_service)]
KeyHolderService = Annotated[Service, Depends(ready_for_key_holder)]

# The probes and the metrics: what the platform running the service asks of it.
operations = APIRouter()


@operations.get("/health", summary="The process is alive")
async def health() -> dict:
    return {"status": "alive"}


@operations.get("/ready", summary="The models are loaded (503 until then)")
async def ready(service: AnyService) -> JSONResponse:
    if not service.ready:
        body = {"status": service.state, "detail": service.failure}
        return JSONResponse(body, status_code=503, headers={"Retry-After": RETRY_AFTER_SECONDS})
    # Ready for the server, not this worker alone: a request may reach any of them.
    if loading := service.workers_loading():
        workers = service.settings.workers
        body = {
            "status": "loading",
            "detail": f"{loading} of {workers} workers are still loading the model",
        }
        return JSONResponse(body, status_code=503, headers={"Retry-After": RETRY_AFTER_SECONDS})
    versions = {role: model.version for role, model in service.loaded.models.items()}
    return JSONResponse({"status": "ready", **versions})


@operations.get("/metrics", summary="Prometheus metrics per model version")
async def metrics(service: AnyService) -> Response:
    return Response(service.metrics.exposition(), media_type=CONTENT_TYPE)


# The models served: what they are, their cards, and their predictions.
models = APIRouter()


@models.get(
    "/model",
    summary="The versions served and what they take and return; with SERVING_API_KEY, "
    "their lineage and the rollout too",
)
async def model(service: ReadyService, request: Request) -> JSONResponse:
    settings = service.settings
    loaded = service.loaded.models
    if not holds_key(settings, request):
        return JSONResponse({role: contract(served) for role, served in loaded.items()})
    return JSONResponse(
        {
            "rollout": {
                "mode": settings.rollout,
                "challenger_weight": settings.challenger_weight
                if settings.rollout == "canary"
                else None,
            },
            **{role: served.describe() for role, served in loaded.items()},
        }
    )


def card(service: Service, markdown: bool) -> Response:
    """The served version's model card; like /predict, it needs SERVING_API_KEY when set."""
    served = service.loaded.models[CHAMPION]
    headers = {VERSION_HEADER: served.version}
    if served.card is None:
        return JSONResponse(
            {
                "detail": f"model version {served.version} is served without a model card: "
                f"`make card MODEL={served.version}` attaches one, which `make export` "
                "then exports with the model"
            },
            status_code=404,
            headers=headers,
        )
    if markdown:
        return Response(served.card.markdown, media_type=MARKDOWN, headers=headers)
    return HTMLResponse(served.card.html, headers=headers)


@models.get("/model/card", summary="The served version's model card, as a page")
async def model_card(service: KeyHolderService) -> Response:
    return card(service, markdown=False)


@models.get("/model/card.md", summary="The served version's model card, as Markdown")
async def model_card_markdown(service: KeyHolderService) -> Response:
    return card(service, markdown=True)


@models.post("/predict", summary="Score one row or a batch", responses=PREDICT_RESPONSES)
async def predict(service: KeyHolderService, request: Request) -> Response:
    if not is_json(request.headers.get("content-type", "")):
        return JSONResponse(
            {"detail": "send the rows as JSON, with `Content-Type: application/json`"},
            status_code=415,
        )
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
            {"detail": rejection.detail},
            status_code=rejection.status_code,
            headers=headers | rejection.headers,
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
    headers[REQUEST_ID_HEADER] = request_id
    return Response(body, media_type="application/json", headers=headers, background=background)


@models.post(
    "/feedback",
    summary="Record labels given after the fact, for live quality",
    status_code=202,
    responses=FEEDBACK_RESPONSES,
    openapi_extra={"requestBody": FEEDBACK_REQUEST_BODY},
)
async def feedback(service: KeyHolderService, request: Request) -> JSONResponse:
    """One label as an object, or several as an array of objects, each with `key` (the
    X-Request-Key sent, or the X-Request-Id answered), `label`, and optionally `row` (its
    position in a request of several rows; default 0) and `time` (when the label became known,
    ISO 8601 with a time zone; default now)."""
    if not is_json(request.headers.get("content-type", "")):
        return JSONResponse(
            {"detail": "send the labels as JSON, with `Content-Type: application/json`"},
            status_code=415,
        )
    now = datetime.now(UTC)
    try:
        body = json.loads(await request.body())
    except ValueError as error:
        service.metrics.feedback_rejected.inc()
        return feedback_problems([problem(["body"], f"not JSON: {error}", "json_invalid")])
    items = body if isinstance(body, list) else [body]
    fields = FEEDBACK_LABEL["properties"]
    labels, problems = [], []
    for number, item in enumerate(items):
        where = ["body", number] if isinstance(body, list) else ["body"]
        if not isinstance(item, dict):
            problems.append(
                problem(where, "a label is an object with key and label", "object_type")
            )
            continue
        if unknown := sorted(set(item) - set(fields)):
            problems += [
                problem(
                    [*where, name],
                    f"not a field; they are {', '.join(fields)}",
                    "extra_forbidden",
                )
                for name in unknown
            ]
            continue
        try:
            labels.append(given_label(item, service.task, now, FEEDBACK_SOURCE))
        except LabelError as error:
            problems.append(problem([*where, error.field], str(error), "label_invalid"))
    if not items:
        problems.append(problem(["body"], "an empty array: send at least one label", "too_short"))
    if problems:
        service.metrics.feedback_rejected.inc(max(len(items), 1))
        return feedback_problems(problems)
    service.record_labels(labels)
    service.metrics.feedback_recorded.inc(len(labels))
    return JSONResponse(
        {
            "recorded": len(labels),
            "detail": f"recorded {len(labels)} labels; `make live-quality` joins them to the "
            "prediction log and counts those that label a prediction, came late, label one "
            "labelled before (duplicate) or name none (unknown)",
        },
        status_code=202,
    )


def problem(where: list, message: str, kind: str) -> dict:
    """One problem of a body, as /predict words them: where, what, and its kind."""
    return {"loc": where, "msg": message, "type": kind}


def feedback_problems(problems: list[dict]) -> JSONResponse:
    """422: nothing of the body is recorded, so that it can be sent again once fixed."""
    return JSONResponse({"detail": listed(problems), "recorded": 0}, status_code=422)


def create_app(
    settings: ServingSettings,
    on_load_failure: Callable[[str], None] | None = None,
    shared_dir: Path | None = None,
) -> FastAPI:
    """Build the app; its models load in the background once it starts, and `on_load_failure`
    is told why they could not. `shared_dir`: see Service."""
    service = Service(settings, shared_dir)
    app = FastAPI(
        title="{{ cookiecutter.project_slug }} model service",
        description=f"Rollout: {settings.rollout}. Send `{KEY_HEADER}` to keep a caller on one "
        "model and to find its predictions in the log.",
        lifespan=loading(service, on_load_failure),
    )
    app.state.service = service
    app.add_middleware(
        RequestLimits,
        max_body_bytes=settings.body_limit,
        body_timeout_seconds=settings.body_timeout_seconds,
        max_concurrent=settings.max_concurrent_requests,
        unbounded_paths=UNBOUNDED_PATHS,
        on_busy=service.metrics.busy.inc,
    )
    app.include_router(operations)
    app.include_router(models)
    app.openapi = partial(openapi, app, service)
    return app


def loading(
    service: Service, on_load_failure: Callable[[str], None] | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: the models load in a thread as it starts; the service closes as it
    stops."""

    def load() -> None:
        if not service.load() and on_load_failure is not None:
            on_load_failure(service.failure)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=load, name="model-loader", daemon=True).start()
        yield
        service.close()

    return lifespan


def openapi(app: FastAPI, service: Service) -> dict:
    """The schema, with the request and response bodies of the data description and the task
    once the model is loaded."""
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


def holds_key(settings: ServingSettings, request: Request) -> bool:
    """Whether the request carries SERVING_API_KEY (never, when none is set)."""
    if settings.api_key is None:
        return False
    sent = request.headers.get("authorization", "")
    expected = settings.api_key.get_secret_value()
    # In constant time, so the answer's timing tells nothing about the key.
    return sent.startswith(BEARER) and hmac.compare_digest(
        sent.removeprefix(BEARER).encode(), expected.encode()
    )


def contract(served: ServedModel) -> dict:
    """What a client needs of a model: which it is, what it takes and what it returns."""
    return {
        "name": served.name,
        "version": served.version,
        "task": served.task.kind,
        "inputs": list(served.inputs),
        "outputs": list(served.task.output_columns()),
    }


def is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")
