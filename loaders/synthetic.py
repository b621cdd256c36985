"""A seeded synthetic micro-video dataset in the canonical format, nothing downloaded.

Users have topic interests and power-law followers/likes; each video has a topic drawn from its
user's interests, hashtags drawn from that topic (with per-user favourites that recur, so user
Jaccard means something), a caption from the topic's vocabulary, and a time. Some users are
declared cold-start (``"cold_start": true``: newcomers whose videos are all test).

Content carries the topic:
- ``media=True``: real short video files made with ffmpeg (lavfi): a topic colour and grid
  spacing plus noise for the picture, a topic tone frequency plus pink noise for the sound;
- ``media=False``: precomputed unit features per modality (topic centroid + video offset + unit
  noise), stored stacked as ``features/<modality>.npy`` (float16, ``[videos, units, dim]``) and
  referenced by posts as ``features/<modality>.npy#<row>``, so 10x sizes stay fast (memory-mapped).

``generate(out_dir, spec)`` writes ``users.jsonl``, ``posts.jsonl`` (and ``media/`` or
``features/``) plus ``spec.json``; ``loaders.canonical.load(out_dir)`` reads it.
``synthetic_records(spec)`` returns the same users and posts in memory (with each post's topic),
for test scaffolding that needs a graph or tensors rather than files.
"""

from __future__ import annotations

import colorsys
import dataclasses
import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from mishon_graph.errors import MishonError
from mishon_graph.ingest.preprocess import normalise_hashtag
from mishon_graph.ingest.records import PostRecord, UserRecord

_CONSONANTS = "bdfgklmnprtvz"
_VOWELS = "aeiou"
_START = datetime(2020, 1, 1, tzinfo=UTC)
_SPAN_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class SyntheticSpec:
    """Shape of a synthetic dataset.

    Args:
        n_users: Users (cold-start ones included).
        n_videos: Videos in total.
        n_hashtags: Distinct hashtags (spread over the topics).
        n_topics: Latent topics.
        cold_start_users: Users declared cold-start (newcomers; all their videos are test).
        seed: Random seed; the same spec writes the same dataset.
        media: Make real video files with ffmpeg instead of precomputed features.
        visual_units: Frames per video (precomputed features).
        acoustic_units: Audio frames per video (precomputed features).
        textual_units: Tokens per caption (precomputed features).
        feature_dim: Dimension of each precomputed unit feature.
        tags_per_video: Mean hashtags per video.
        favourite_share: Probability that a hashtag comes from the user's own favourites.
        noise: Standard deviation of the per-unit feature noise (topic centroids have norm ~1).
        duration: Seconds per video file (media).
        width: Frame width (media).
        height: Frame height (media).
        fps: Frames per second (media).
        workers: Parallel ffmpeg processes (media).
    """

    n_users: int = 40
    n_videos: int = 400
    n_hashtags: int = 60
    n_topics: int = 6
    cold_start_users: int = 4
    seed: int = 7
    media: bool = False
    visual_units: int = 12
    acoustic_units: int = 8
    textual_units: int = 30
    feature_dim: int = 64
    tags_per_video: float = 3.0
    favourite_share: float = 0.5
    noise: float = 0.6
    duration: float = 2.5
    width: int = 160
    height: int = 120
    fps: int = 12
    workers: int = 2

    def __post_init__(self) -> None:
        if self.n_users < 1 or self.n_topics < 1 or self.n_hashtags < self.n_topics:
            raise MishonError("synthetic spec needs >= 1 user, >= 1 topic and >= one hashtag per topic")
        if not 0 <= self.cold_start_users < self.n_users:
            raise MishonError(f"cold-start users must be in [0, {self.n_users}), got {self.cold_start_users}")
        if self.n_videos < self.n_users:
            raise MishonError(f"need at least one video per user ({self.n_users}), got {self.n_videos}")
        if min(self.visual_units, self.acoustic_units, self.textual_units, self.feature_dim) < 1:
            raise MishonError("feature units and dim must be >= 1")

    PRESETS = ("tiny", "smoke", "demo", "tmall", "tmall10x")

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> SyntheticSpec:
        """``tiny`` (tests, no media), ``smoke`` (tests, a little real media), ``demo`` (real media),
        ``tmall`` (the paper's TMALL shape) or
        ``tmall10x``; ``overrides`` replace fields (e.g. ``seed``)."""
        presets: dict[str, dict[str, Any]] = {
            "tiny": dict(
                n_users=40,
                n_videos=400,
                n_hashtags=60,
                n_topics=6,
                cold_start_users=4,
                visual_units=4,
                acoustic_units=4,
                textual_units=6,
                feature_dim=16,
            ),
            "smoke": dict(
                n_users=16, n_videos=128, n_hashtags=32, n_topics=4, cold_start_users=2, media=True,
                duration=2.0,
            ),
            "demo": dict(
                n_users=60, n_videos=400, n_hashtags=120, n_topics=8, cold_start_users=6, media=True
            ),
            "tmall": dict(n_users=839, n_videos=13_140, n_hashtags=3_354, n_topics=40, cold_start_users=84),
            "tmall10x": dict(
                n_users=8_390, n_videos=131_400, n_hashtags=33_540, n_topics=120, cold_start_users=839
            ),
        }
        if name not in presets:
            raise MishonError(f"unknown preset {name!r}; expected one of {cls.PRESETS}")
        return cls(**{**presets[name], **overrides})


def generate(out_dir: Path, spec: SyntheticSpec) -> Path:
    """Write the dataset described by ``spec`` into ``out_dir`` (created; files replaced).

    Returns:
        ``out_dir``, ready for ``mishon ingest <out_dir> --format canonical``.

    Raises:
        MishonError: ffmpeg is missing or fails (media mode).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world, users, videos = _draw(spec)
    rng = world.rng  # the features continue the same random stream
    if spec.media:
        refs = _write_media(out_dir, spec, world, videos)
    else:
        refs = _write_features(out_dir, spec, world, videos, rng)
    _atomic_lines(out_dir / "users.jsonl", (json.dumps(u) for u in users))
    posts = (
        json.dumps({**{k: v for k, v in video.items() if k != "topic"}, **refs[i]})
        for i, video in enumerate(videos)
    )
    _atomic_lines(out_dir / "posts.jsonl", posts)
    (out_dir / "spec.json").write_text(
        json.dumps(dataclasses.asdict(spec), indent=2) + "\n", encoding="utf-8"
    )
    return out_dir


@dataclass(frozen=True)
class SyntheticRecords:
    """The canonical records of a synthetic dataset, in memory (no content files).

    Args:
        users: One record per user, cold-start users declared (``cold_start=True``).
        posts: One record per video, in the order ``generate`` writes them, with no split.
        topics: The latent topic of each post id (what the content of ``generate`` encodes).
        n_topics: Number of topics.
    """

    users: list[UserRecord]
    posts: list[PostRecord]
    topics: dict[str, int]
    n_topics: int


def synthetic_records(spec: SyntheticSpec) -> SyntheticRecords:
    """The users and posts ``generate(out_dir, spec)`` writes, without writing anything.

    Test scaffolding builds its graphs and tensors from these (``mishon_graph.testing``); the
    content (media or unit features) is left to the caller, keyed by :attr:`SyntheticRecords.topics`.
    """
    _, users, videos = _draw(spec)
    return SyntheticRecords(
        users=[UserRecord(**u) for u in users],
        posts=[
            PostRecord(
                id=v["id"],
                user_id=v["user_id"],
                created_at=v["created_at"],
                text=v["text"],
                hashtags=tuple(v["hashtags"]),
            )
            for v in videos
        ],
        topics={v["id"]: v["topic"] for v in videos},
        n_topics=spec.n_topics,
    )


def _draw(spec: SyntheticSpec) -> tuple[_World, list[dict[str, Any]], list[dict[str, Any]]]:
    """The seeded world, its users and its videos (each with its ``topic``), in the one draw order."""
    world = _World(spec, np.random.default_rng(spec.seed))
    users = world.users()
    return world, users, world.videos()


class _World:
    """Topics, vocabularies, hashtags and users drawn once from the seeded generator."""

    def __init__(self, spec: SyntheticSpec, rng: np.random.Generator) -> None:
        self.spec, self.rng = spec, rng
        words = _words(rng, spec.n_hashtags + spec.n_topics * 20 + 60)
        self.general = words[:60]
        self.topic_words = [words[60 + 20 * t : 80 + 20 * t] for t in range(spec.n_topics)]
        tags = words[60 + 20 * spec.n_topics :]
        self.topic_tags = [tags[t :: spec.n_topics] for t in range(spec.n_topics)]
        # Zipf popularity of hashtags within a topic.
        self.tag_weights = [_zipf(len(ts)) for ts in self.topic_tags]
        n = spec.n_users
        self.interests = [
            rng.choice(spec.n_topics, size=min(spec.n_topics, int(rng.integers(1, 4))), replace=False)
            for _ in range(n)
        ]
        self.interest_weights = [rng.dirichlet(np.ones(len(i))) for i in self.interests]
        self.favourites = [
            {
                int(t): list(
                    rng.choice(
                        self.topic_tags[t],
                        size=min(len(self.topic_tags[t]), 4),
                        replace=False,
                        p=self.tag_weights[t],
                    )
                )
                for t in topics
            }
            for topics in self.interests
        ]

    def users(self) -> list[dict[str, Any]]:
        spec, rng = self.spec, self.rng
        followers = np.minimum((20 * (1 + rng.pareto(1.1, spec.n_users))).astype(np.int64), 50_000_000)
        rate = rng.beta(2.0, 18.0, spec.n_users)
        likes = np.round(followers * rate).astype(np.int64)
        out = []
        for i in range(spec.n_users):
            cold = i >= spec.n_users - spec.cold_start_users
            created = _START - timedelta(days=30 if cold else int(rng.integers(60, 2000)))
            out.append(
                {
                    "id": _user_id(i),
                    "followers": int(followers[i]),
                    "likes": int(likes[i]),
                    "created_at": created.isoformat(timespec="seconds"),
                    "cold_start": cold,
                }
            )
        return out

    def videos(self) -> list[dict[str, Any]]:
        spec, rng = self.spec, self.rng
        counts = _videos_per_user(rng, spec.n_users, spec.n_videos)
        out = []
        for user, count in enumerate(counts):
            times = np.sort(rng.integers(0, _SPAN_SECONDS, count))
            for when in times:
                topic = int(rng.choice(self.interests[user], p=self.interest_weights[user]))
                out.append(
                    {
                        "id": "",
                        "user_id": _user_id(user),
                        "created_at": (_START + timedelta(seconds=int(when))).isoformat(timespec="seconds"),
                        "text": self._caption(topic),
                        "hashtags": self._hashtags(user, topic),
                        "topic": topic,
                    }
                )
        order = rng.permutation(len(out))  # interleave users as a crawl would
        videos = [out[i] for i in order]
        for i, video in enumerate(videos):
            video["id"] = f"v{i:07d}"
        return videos

    def _caption(self, topic: int) -> str:
        n = int(self.rng.integers(5, 13))
        own = self.rng.random(n) < 0.7
        words = [
            str(self.rng.choice(self.topic_words[topic])) if o else str(self.rng.choice(self.general))
            for o in own
        ]
        return " ".join(words)

    def _hashtags(self, user: int, topic: int) -> list[str]:
        spec, rng = self.spec, self.rng
        k = max(1, min(8, 1 + int(rng.poisson(spec.tags_per_video - 1))))
        tags: dict[str, None] = {}
        for _ in range(k):
            r = rng.random()
            if r < spec.favourite_share:
                pool, p = self.favourites[user][topic], None
            elif r < 0.93 or spec.n_topics == 1:
                pool, p = self.topic_tags[topic], self.tag_weights[topic]
            else:
                other = int(rng.integers(spec.n_topics))
                pool, p = self.topic_tags[other], self.tag_weights[other]
            tags.setdefault(str(rng.choice(pool, p=p)), None)
        return list(tags)


def _write_features(
    out_dir: Path, spec: SyntheticSpec, world: _World, videos: list[dict[str, Any]], rng: np.random.Generator
) -> list[dict[str, Any]]:
    feature_dir = out_dir / "features"
    feature_dir.mkdir(exist_ok=True)
    topics = np.array([v["topic"] for v in videos])
    units = {"visual": spec.visual_units, "acoustic": spec.acoustic_units, "textual": spec.textual_units}
    dim = spec.feature_dim
    for modality, n_units in units.items():
        centroids = rng.standard_normal((spec.n_topics, dim)).astype(np.float32) / np.sqrt(dim) * 2.0
        tmp = feature_dir / f".{modality}.npy.part"
        array = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16, shape=(len(videos), n_units, dim))
        chunk = 4096
        for start in range(0, len(videos), chunk):
            stop = min(start + chunk, len(videos))
            base = (
                centroids[topics[start:stop]]
                + 0.3 * rng.standard_normal((stop - start, dim)) / np.sqrt(dim) * 2.0
            )
            noise = spec.noise * rng.standard_normal((stop - start, n_units, dim)) / np.sqrt(dim) * 2.0
            array[start:stop] = (base[:, None, :] + noise).astype(np.float16)
        array.flush()
        del array
        os.replace(tmp, feature_dir / f"{modality}.npy")
    return [{"features": {m: f"features/{m}.npy#{i}" for m in units}} for i in range(len(videos))]


def _write_media(
    out_dir: Path, spec: SyntheticSpec, world: _World, videos: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    if shutil.which("ffmpeg") is None:
        raise MishonError("ffmpeg is not installed: install it (apt-get install ffmpeg) or use media=False")
    media_dir = out_dir / "media"
    media_dir.mkdir(exist_ok=True)
    jobs = []
    for i, video in enumerate(videos):
        target = media_dir / f"{video['id']}.mp4"
        if not target.is_file():
            jobs.append((target, _ffmpeg_args(spec, video["topic"], i, target)))
    with ThreadPoolExecutor(max_workers=max(1, spec.workers)) as pool:
        for error in pool.map(_run_ffmpeg, jobs):
            if error:
                raise MishonError(error)
    return [{"media_path": f"media/{v['id']}.mp4"} for v in videos]


def topic_colour(topic: int, n_topics: int) -> str:
    """Hex colour of a topic: hues spread evenly round the colour wheel."""
    r, g, b = colorsys.hsv_to_rgb(topic / max(1, n_topics), 0.8, 0.85)
    return f"0x{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def topic_tone(topic: int, n_topics: int) -> float:
    """Tone frequency in Hz of a topic: two octaves from 220 Hz spread over the topics."""
    return round(220.0 * 2 ** (2.0 * topic / max(1, n_topics)), 2)


def _ffmpeg_args(spec: SyntheticSpec, topic: int, index: int, target: Path) -> list[str]:
    d, size = spec.duration, f"{spec.width}x{spec.height}"
    grid = 8 + 6 * (topic % 6)
    picture = (
        f"color=c={topic_colour(topic, spec.n_topics)}:s={size}:r={spec.fps}:d={d},"
        f"drawgrid=w={grid}:h={grid}:t=2:c=white@0.6,noise=alls=25:allf=t:all_seed={index + 1}"
    )
    tone = f"sine=frequency={topic_tone(topic, spec.n_topics)}:sample_rate=16000:duration={d}"
    hiss = f"anoisesrc=d={d}:c=pink:a=0.05:r=16000:seed={index + 1}"
    part = target.with_name(f".{target.stem}.part.mp4")
    return [
        "ffmpeg",
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        picture,
        "-f",
        "lavfi",
        "-i",
        tone,
        "-f",
        "lavfi",
        "-i",
        hiss,
        "-filter_complex",
        "[1:a][2:a]amix=inputs=2[a]",
        "-map",
        "0:v",
        "-map",
        "[a]",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-crf",
        "30",
        "-pix_fmt",
        "yuv420p",
        "-threads",
        "1",
        "-c:a",
        "aac",
        "-b:a",
        "32k",
        "-shortest",
        str(part),
    ]


def _run_ffmpeg(job: tuple[Path, list[str]]) -> str | None:
    target, args = job
    part = Path(args[-1])
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        part.unlink(missing_ok=True)
        return f"ffmpeg failed for {target}: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}"
    os.replace(part, target)
    return None


def _atomic_lines(path: Path, lines: Any) -> None:
    tmp = path.with_name(f".{path.name}.part")
    with tmp.open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(line + "\n")
    os.replace(tmp, path)


def _user_id(i: int) -> str:
    return f"u{i:05d}"


def _zipf(n: int, exponent: float = 1.1) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()


def _videos_per_user(rng: np.random.Generator, n_users: int, n_videos: int) -> list[int]:
    """At least 5 videos each when possible, the rest spread with power-law weights."""
    base = min(5, n_videos // n_users)
    weights = 1 + rng.pareto(1.5, n_users)
    extra = rng.multinomial(n_videos - base * n_users, weights / weights.sum())
    return [int(base + e) for e in extra]


def _words(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct pronounceable pseudo-words that hashtag normalisation leaves unchanged."""
    out: dict[str, None] = {}
    while len(out) < n:
        syllables = int(rng.integers(2, 5))
        word = "".join(rng.choice(list(_CONSONANTS)) + rng.choice(list(_VOWELS)) for _ in range(syllables))
        if word not in out and normalise_hashtag(word) == word:
            out[word] = None
    return list(out)
