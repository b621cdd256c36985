"""``mishon serve``'s HTTP API: a thin FastAPI app over :class:`~mishon_graph.serve.suggester.Suggester`.

Endpoints: ``POST /suggest`` (caption, poster, optional precomputed unit features -> ranked hashtags,
each with a one-line reason and the neighbours behind it; ``"store": true`` also writes the upload
into the graph when the server was started with ``--store``), ``POST /suggest/media`` (the same
with the video file as the body and the rest as query parameters), ``GET /health``, and the
OpenAPI documentation at ``/docs`` (the schema is the API's documentation).

Every request is parsed and validated by pydantic models; the body size is capped (declared
lengths at once, streamed bodies by FastAPI's ``max_body_size``); the suggestion runs in a worker
thread under a time limit. Errors are one line in ``{"detail": ...}``: 422 for input that cannot
be scored (wrong types, unknown modality, wrong dimension, NaN, text that is not valid Unicode),
413 for a body over the size limit, 409 for a store over a dataset video's id, 403 for a store on
a read-only server, 503 when the time limit passes; an unexpected failure is a 500 whose detail
names the error type (the traceback goes to the server log, never to the client). A poster the
graph does not know is a new user (Problem 2): the answer says ``"user": "new"``.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, field_validator
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from mishon_graph.errors import MishonError
from mishon_graph.serve.suggester import BadUpload, Suggester, Suggestion, Upload

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 2_000_000
MAX_MEDIA_BYTES = 100_000_000
MAX_CAPTION = 5_000
MAX_ID = 256
TIMEOUT_S = 5.0
MEDIA_TIMEOUT_S = 60.0
WORKERS = 4

Number = Annotated[float, Strict()]
Store = Callable[[Suggestion, Upload], str]


def _valid_text(value: str | None) -> str | None:
    if value is not None:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text (it holds a lone surrogate)") from None
    return value


class SuggestRequest(BaseModel):
    """A new upload."""

    model_config = ConfigDict(extra="forbid")

    caption: str = Field("", max_length=MAX_CAPTION, description="The caption (any language).")
    user_id: str | None = Field(
        None, min_length=1, max_length=MAX_ID, description="The poster; unknown or absent: a new user."
    )
    video_id: str | None = Field(
        None, min_length=1, max_length=MAX_ID, description="Id of the upload (needed to store it)."
    )
    features: dict[str, list[list[Number]]] = Field(
        default_factory=dict,
        description="Precomputed unit features per modality (visual, acoustic, textual): "
        "[units, dim] each; a modality left out is one the video lacks.",
    )
    k: int = Field(5, ge=1, le=100, description="Hashtags to return.")
    store: bool = Field(False, description="Also write the upload into the graph (server run with --store).")

    _text = field_validator("caption", "user_id", "video_id")(_valid_text)


class Because(BaseModel):
    kind: str = Field(description="similar_video, similar_user, popular_user, history or caption")
    via: str = Field(description="Visual/Acoustic/Textual, JACCARD or POPULAR (empty for the others)")
    neighbour: str
    weight: float
    uses: int = Field(description="Training videos of the neighbour that carry the hashtag")


class SuggestedOut(BaseModel):
    hashtag: str
    score: float
    rank: int
    reason: str = Field(description="One line: the neighbours that carried the hashtag")
    because: list[Because]


class SuggestResponse(BaseModel):
    video_id: str
    user_id: str | None
    user: Literal["existing", "new"]
    hashtags: list[SuggestedOut]
    modalities: list[str] = Field(description="Modalities whose features were sent")
    missing_modalities: list[str] = Field(description="Modalities of the graph the upload lacks")
    encoded_modalities: list[str] = Field(description="Modalities computed from the upload (the caption)")
    stored: bool
    ms: float = Field(description="Time spent scoring, in milliseconds")


class Error(BaseModel):
    detail: str


def one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split()) or "(no message)"
    line = line.encode("utf-8", "backslashreplace").decode("utf-8")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _validation_message(exc: RequestValidationError | ValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return one_line(f"{where}: {first.get('msg', 'invalid')}{more}")


class TooSlow(Exception):
    """A suggestion passed its time limit (answered 503)."""

    def __init__(self, limit: float) -> None:
        super().__init__(f"took longer than {limit:g} s")
        self.limit = limit


class DeclaredSizeLimit:
    """ASGI wrapper: a body whose Content-Length is over the limit gets the API's JSON 413 at once.

    FastAPI's ``max_body_size`` (inside) also stops bodies streamed without a length; for a declared
    length it would answer in plain text, hence this wrapper outside it.
    """

    def __init__(self, app: FastAPI, max_bytes: int, per_path: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = dict(per_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            limit = self.per_path.get(scope.get("path", ""), self.max_bytes)
            declared = dict(scope.get("headers") or []).get(b"content-length", b"0")
            if not declared.isdigit() or int(declared) > limit:
                detail = f"request body over {limit} bytes"
                await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(
    suggester: Suggester,
    *,
    store: Store | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_media_bytes: int = MAX_MEDIA_BYTES,
    timeout_s: float = TIMEOUT_S,
    media_timeout_s: float = MEDIA_TIMEOUT_S,
    workers: int = WORKERS,
) -> DeclaredSizeLimit:
    """The ASGI app serving ``suggester``.

    Args:
        suggester: The loaded library object.
        store: Writes an upload into the graph (``None``: the server is read-only).
        max_body_bytes: Larger JSON request bodies get 413.
        max_media_bytes: Larger video files (``/suggest/media``) get 413.
        timeout_s: A suggestion (and its store) taking longer gets 503.
        media_timeout_s: The same for a video file (decoding and encoding included).
        workers: Suggestions computed at once (worker threads).
    """
    app = FastAPI(
        title="mishon-graph suggest",
        version="1",
        summary="Hashtags for a new micro-video upload, from the MISHON graph and mishon+.",
        description=__doc__,
        max_body_size=max_body_bytes,
        responses={
            413: {"model": Error, "description": "Request body too large"},
            422: {"model": Error, "description": "Input that cannot be scored"},
            503: {"model": Error, "description": "Time limit passed"},
        },
    )
    limiter = anyio.CapacityLimiter(workers)

    async def in_thread(fn: Callable[[], Any], limit: float) -> Any:
        try:
            with anyio.fail_after(limit):
                return await anyio.to_thread.run_sync(fn, limiter=limiter, abandon_on_cancel=True)
        except TimeoutError:
            raise TooSlow(limit) from None

    @app.exception_handler(RequestValidationError)
    @app.exception_handler(ValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError | ValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(exc)}, status_code=422)

    @app.exception_handler(MishonError)
    async def _refused(_request: Request, exc: MishonError) -> JSONResponse:
        from mishon_graph.serve.store import StoreConflict

        status = 409 if isinstance(exc, StoreConflict) else 422 if isinstance(exc, BadUpload) else 503
        return JSONResponse({"detail": one_line(str(exc))}, status_code=status)

    @app.exception_handler(TooSlow)
    async def _slow(_request: Request, exc: TooSlow) -> JSONResponse:
        return JSONResponse(
            {"detail": f"the suggestion took longer than {exc.limit:g} s; try again"},
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error in a request")
        return JSONResponse({"detail": f"internal error ({type(exc).__name__}); see the server log"}, 500)

    @app.get("/health", summary="Liveness and what the model holds")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "store": store is not None, **suggester.info}

    @app.post(
        "/suggest",
        response_model=SuggestResponse,
        summary="Suggest hashtags for a new upload",
        responses={403: {"model": Error}, 409: {"model": Error}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": SuggestRequest.model_json_schema()}},
            }
        },
    )
    async def suggest(request: Request) -> SuggestResponse | JSONResponse:
        # pydantic parses and validates the bytes in one pass (a features body: 0.2 ms instead of 1.5)
        body = SuggestRequest.model_validate_json(await request.body())
        upload = Upload(
            caption=body.caption, user_id=body.user_id, video_id=body.video_id, units=body.features
        )
        return await answer(upload, body.k, body.store)

    @app.post(
        "/suggest/media",
        response_model=SuggestResponse,
        summary="Suggest hashtags for a new upload sent as a video file",
        description="The request body is the video file itself (any container ffmpeg reads); its frames "
        "and audio are encoded with the encoders the graph's features were made with.",
        responses={403: {"model": Error}, 409: {"model": Error}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
        max_body_size=max_media_bytes,
    )
    async def suggest_media(
        request: Request,
        caption: Annotated[str, Query(max_length=MAX_CAPTION)] = "",
        user_id: Annotated[str | None, Query(min_length=1, max_length=MAX_ID)] = None,
        video_id: Annotated[str | None, Query(min_length=1, max_length=MAX_ID)] = None,
        k: Annotated[int, Query(ge=1, le=100)] = 5,
        store: bool = False,
    ) -> SuggestResponse | JSONResponse:
        data = await request.body()
        if not data:
            raise BadUpload("send the video file as the request body")
        with tempfile.TemporaryDirectory(prefix="mishon-upload-") as tmp:
            path = Path(tmp) / "upload"
            await anyio.to_thread.run_sync(path.write_bytes, data)
            upload = Upload(caption=caption, user_id=user_id, video_id=video_id, media_path=str(path))
            return await answer(upload, k, store)

    async def answer(upload: Upload, k: int, to_store: bool) -> SuggestResponse | JSONResponse:
        if to_store and store is None:
            return JSONResponse({"detail": "this server does not store uploads (start it with --store)"}, 403)
        if to_store and (upload.video_id is None or upload.user_id is None):
            raise BadUpload("storing an upload needs its video_id and user_id")
        limit = timeout_s if upload.media_path is None else media_timeout_s
        result: Suggestion = await in_thread(lambda: suggester.suggest(upload, k=k), limit)
        stored = False
        if to_store and store is not None:
            await in_thread(lambda: store(result, upload), limit)
            stored = True
        return SuggestResponse(
            video_id=result.video_id,
            user_id=result.user_id,
            user="new" if result.new_user else "existing",
            hashtags=[
                SuggestedOut(
                    hashtag=h.hashtag,
                    score=h.score,
                    rank=h.rank,
                    reason=h.reason,
                    because=[Because(**vars(r)) for r in h.because],
                )
                for h in result.hashtags
            ],
            modalities=result.modalities,
            missing_modalities=result.missing,
            encoded_modalities=result.encoded,
            stored=stored,
            ms=round(result.seconds * 1000, 3),
        )

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if exc.status_code != 413 else "request body over the size limit"
        return JSONResponse({"detail": one_line(str(detail))}, exc.status_code, headers=exc.headers)

    return DeclaredSizeLimit(app, max_body_bytes, {"/suggest/media": max_media_bytes})
