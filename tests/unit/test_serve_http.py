"""``mishon serve``'s HTTP API: answers, and one-line 4xx for every kind of bad input (never a traceback)."""

from __future__ import annotations

import json
import subprocess
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serve_fixture import DIMS, build

from mishon_graph.serve.app import MAX_CAPTION, create_app
from mishon_graph.serve.reasons import explain
from mishon_graph.serve.store import StoreConflict
from mishon_graph.serve.suggester import Suggestion, Upload


@pytest.fixture(scope="module")
def built():  # type: ignore[no-untyped-def]
    return build()


@pytest.fixture(scope="module")
def client(built) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(built[0], max_body_bytes=200_000))


def _features(centres: np.ndarray, topic: int = 1) -> dict[str, list[list[float]]]:
    rng = np.random.default_rng(topic)
    units = centres[topic] + rng.normal(size=(5, DIMS["visual"]))
    return {"visual": units.tolist(), "textual": rng.normal(size=(3, DIMS["textual"])).tolist()}


def _one_line_error(response, status: int) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail and "\n" not in detail and "Traceback" not in detail
    return detail


def test_health_and_docs(client: TestClient) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["store"] is False
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/suggest"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["title"] == "SuggestRequest" and "features" in body["properties"]
    assert "/suggest/media" in schema["paths"]


def test_existing_user_gets_ranked_hashtags_with_reasons(client: TestClient, built) -> None:  # type: ignore[no-untyped-def]
    body = {
        "caption": "a tag10 video",
        "user_id": "u1",
        "video_id": "new-1",
        "features": _features(built[1]),
        "k": 4,
    }
    out = client.post("/suggest", json=body).json()
    assert out["video_id"] == "new-1" and out["user"] == "existing" and out["stored"] is False
    assert [h["rank"] for h in out["hashtags"]] == [1, 2, 3, 4]
    assert [h["score"] for h in out["hashtags"]] == sorted(
        (h["score"] for h in out["hashtags"]), reverse=True
    )
    assert all(h["reason"] for h in out["hashtags"])
    assert out["hashtags"][0]["hashtag"].startswith("tag1")  # u1 posts topic 1, the features are topic 1
    assert out["modalities"] == ["textual", "visual"] and out["missing_modalities"] == []
    kinds = {b["kind"] for h in out["hashtags"] for b in h["because"]}
    assert kinds & {"similar_video", "similar_user", "history"}


def test_unknown_or_absent_user_is_a_new_user(client: TestClient, built) -> None:  # type: ignore[no-untyped-def]
    for user in ("nobody-knows-me", None):
        out = client.post("/suggest", json={"user_id": user, "features": _features(built[1], 2)}).json()
        assert out["user"] == "new" and out["video_id"].startswith("upload-")
        assert len(out["hashtags"]) == 5


def test_missing_modalities_and_caption_only(client: TestClient, built) -> None:  # type: ignore[no-untyped-def]
    only_visual = {"visual": _features(built[1])["visual"]}
    out = client.post("/suggest", json={"user_id": "u3", "features": only_visual}).json()
    assert out["modalities"] == ["visual"] and out["missing_modalities"] == ["textual"]
    out = client.post("/suggest", json={"caption": "tag30 tag31 at the beach", "k": 3}).json()
    assert out["missing_modalities"] == ["visual", "textual"] and len(out["hashtags"]) == 3
    for h in out["hashtags"]:  # a suggested hashtag the caption names says so
        mentioned = h["hashtag"] in ("tag30", "tag31")
        assert mentioned == any(b["kind"] == "caption" for b in h["because"])
    reasons = explain(built[0].corpus, "tag30", user_id="x", new_user=True, similar=[], caption="tag30 here")
    assert [r.kind for r in reasons] == ["popular_user", "caption"] or reasons[-1].kind == "caption"


class _Words:
    name = "fake-words"

    def encode(self, batch: list[str]) -> list[np.ndarray]:
        return [np.ones((len(c.split()), DIMS["textual"]), dtype=np.float32) for c in batch]


class _Frames:
    name = "fake-frames"
    image_size = 32

    def encode(self, batch: list[np.ndarray]) -> list[np.ndarray]:
        return [f.reshape(len(f), -1)[:, : DIMS["visual"]].astype(np.float32) / 255 for f in batch]


@pytest.fixture
def encoding(built):  # type: ignore[no-untyped-def]
    built[0].live_encoders = {"textual": _Words(), "visual": _Frames()}
    yield TestClient(create_app(built[0], max_media_bytes=300_000))
    built[0].live_encoders = {}


def test_caption_is_encoded_when_the_graph_uses_the_servers_text_encoder(encoding: TestClient) -> None:
    out = encoding.post("/suggest", json={"caption": "three words here"}).json()
    assert out["modalities"] == ["textual"] and out["encoded_modalities"] == ["textual"]
    assert out["missing_modalities"] == ["visual"]
    empty = encoding.post("/suggest", json={"caption": "   "}).json()
    assert empty["encoded_modalities"] == [] and empty["missing_modalities"] == ["visual", "textual"]


def test_a_video_file_is_decoded_and_encoded(encoding: TestClient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    video = tmp_path / "clip.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=8",
            "-t",
            "1",
            "-pix_fmt",
            "yuv420p",
            str(video),
        ],
        check=True,
    )
    r = encoding.post("/suggest/media?caption=hello+world&user_id=u1&k=3", content=video.read_bytes())
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["encoded_modalities"] == ["textual", "visual"] and out["user"] == "existing"
    assert len(out["hashtags"]) == 3
    garbage = encoding.post("/suggest/media", content=b"\x00not a video" * 100)
    assert "unreadable media" in _one_line_error(garbage, 422)
    assert "request body" in _one_line_error(encoding.post("/suggest/media", content=b""), 422)
    _one_line_error(encoding.post("/suggest/media", content=b"x" * 400_000), 413)
    assert "k" in _one_line_error(encoding.post("/suggest/media?k=0", content=b"x"), 422)


def test_media_needs_the_graphs_encoders(client: TestClient) -> None:
    r = client.post("/suggest/media", content=b"some bytes")
    assert "cannot encode media" in _one_line_error(r, 422)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(caption=st.text(max_size=400), user=st.none() | st.text(min_size=1, max_size=40))
def test_hostile_captions_and_user_ids_are_scored(client: TestClient, caption: str, user: str | None) -> None:
    r = client.post("/suggest", json={"caption": caption, "user_id": user, "k": 2})
    assert r.status_code == 200, r.text
    assert len(r.json()["hashtags"]) == 2


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ('{"caption": "\\ud800 lone"}', "JSON"),  # a lone surrogate escape: not text
        ('{"user_id": "\\udfff"}', "JSON"),
        ('{"features": "abc"}', "features"),
        ('{"features": {"visual": [["a", 1]]}}', "features.visual.0.0"),
        ('{"features": {"visual": [[true, 1]]}}', "features.visual.0.0"),
        ('{"features": {"visual": [1, 2]}}', "features.visual.0"),
        ('{"k": "five"}', "k"),
        ('{"k": 0}', "k"),
        ('{"k": 10000}', "k"),
        ('{"colour": "red"}', "colour"),
        ('{"user_id": ""}', "user_id"),
        ('{"video_id": 12}', "video_id"),
        ("[1, 2]", "body"),
        ('{"caption": ', "JSON"),
        ("not json at all", "JSON"),
    ],
)
def test_wrong_types_are_422_with_one_line(client: TestClient, raw: str, where: str) -> None:
    r = client.post("/suggest", content=raw.encode(), headers={"content-type": "application/json"})
    assert where in _one_line_error(r, 422)


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ({"audio": [[1.0]]}, "unknown modality"),
        ({"acoustic": [[1.0] * 3]}, "no acoustic modality"),
        ({"visual": [[1.0] * 5]}, "[units, 6]"),
        ({"visual": []}, "units >= 1"),
        ({"visual": [[1.0] * 6, [1.0] * 5]}, "array of numbers"),
    ],
)
def test_unscorable_features_are_422(client: TestClient, features: dict, message: str) -> None:
    assert message in _one_line_error(client.post("/suggest", json={"features": features}), 422)


def test_nan_and_infinity_are_422(client: TestClient) -> None:
    for literal in ("NaN", "Infinity", "-Infinity"):
        raw = '{"features": {"visual": [[' + literal + ", 1, 1, 1, 1, 1]]}}"
        r = client.post("/suggest", content=raw.encode(), headers={"content-type": "application/json"})
        assert "NaN or infinite" in _one_line_error(r, 422)


def test_huge_bodies_are_413_and_long_captions_422(client: TestClient) -> None:
    big = json.dumps({"caption": "x" * 300_000}).encode()
    assert "bytes" in _one_line_error(
        client.post("/suggest", content=big, headers={"content-type": "application/json"}), 413
    )

    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(100):
            yield b" " * 10_000

    r = client.post("/suggest", content=chunks(), headers={"content-type": "application/json"})
    _one_line_error(r, 413)
    r = client.post("/suggest", json={"caption": "y" * (MAX_CAPTION + 1)})
    assert "caption" in _one_line_error(r, 422)


def test_deeply_nested_json_is_refused_without_a_traceback(client: TestClient) -> None:
    raw = b'{"features": {"visual": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}"
    r = client.post("/suggest", content=raw, headers={"content-type": "application/json"})
    assert r.status_code in (400, 413, 422)
    assert "Traceback" not in r.text


def test_store_is_forbidden_unless_the_server_stores(client: TestClient) -> None:
    r = client.post("/suggest", json={"video_id": "a", "user_id": "u1", "store": True})
    assert "--store" in _one_line_error(r, 403)


def test_store_writes_once_per_call_and_maps_conflicts(built) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[Suggestion, Upload]] = []

    def store(s: Suggestion, u: Upload) -> str:
        if s.video_id == "taken":
            raise StoreConflict("video 'taken' is a video of the dataset, not an upload: choose another id")
        calls.append((s, u))
        return s.video_id

    client = TestClient(create_app(built[0], store=store))
    assert client.get("/health").json()["store"] is True
    out = client.post("/suggest", json={"video_id": "up-1", "user_id": "u1", "caption": "hi", "store": True})
    assert out.json()["stored"] is True and len(calls) == 1 and calls[0][1].caption == "hi"
    assert client.post("/suggest", json={"video_id": "up-2", "caption": "hi"}).json()["stored"] is False
    assert "video_id and user_id" in _one_line_error(client.post("/suggest", json={"store": True}), 422)
    r = client.post("/suggest", json={"video_id": "taken", "user_id": "u1", "store": True})
    assert "choose another id" in _one_line_error(r, 409)


def test_time_limit_and_unexpected_errors(built, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    suggester = built[0]
    client = TestClient(create_app(suggester, timeout_s=0.2), raise_server_exceptions=False)
    real = suggester.suggest
    monkeypatch.setattr(suggester, "suggest", lambda upload, k=5: (time.sleep(1.0), real(upload, k))[1])
    assert "longer than 0.2 s" in _one_line_error(client.post("/suggest", json={}), 503)

    def boom(upload: Upload, k: int = 5) -> Suggestion:
        raise RuntimeError("secret internals\nline two")

    monkeypatch.setattr(suggester, "suggest", boom)
    detail = _one_line_error(client.post("/suggest", json={}), 500)
    assert detail == "internal error (RuntimeError); see the server log"
