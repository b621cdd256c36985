"""The README's performance table, rendered from one ``benchmarks/run.py`` JSON document (no I/O)."""

from __future__ import annotations

import math
from typing import Any

from readme_blocks import markers

BEGIN, END = markers("performance", "benchmarks/run.py --from-json --readme")
FIXED_BEGIN, FIXED_END = markers("performance-fixed-vocab", "benchmarks/run.py --from-json --readme")

# (label, stages summed for the time cells); each row's note comes from ``_notes``
ROWS: list[tuple[str, tuple[str, ...]]] = [
    ("generate + load", ("generate", "load")),
    ("ingest (batched `UNWIND`)", ("ingest",)),
    ("graph: JACCARD (Cypher)", ("graph.jaccard",)),
    ("graph: POPULAR", ("graph.popularity",)),
    ("graph: USES", ("graph.uses",)),
    ("graph: SIMILAR (3 modalities, k = 10)", ("graph.similar",)),
    ("export to PyG", ("export",)),
    ("training, full-batch (per epoch)", ("train.full_batch_2ep",)),
    ("training, mini-batch (per epoch)", ("train.mini_batch_epoch",)),
    ("score test videos", ("recommend.score",)),
    ("write back RECOMMENDS (top 10)", ("recommend.write",)),
    ("evaluate (from Neo4j)", ("evaluate",)),
]


def _secs(x: float) -> str:
    return f"{x:.1f} s" if x < 100 else f"{x:,.0f} s"


def _gb(mb: float) -> str:
    return f"{mb / 1024:.1f} GB"


# runs before the whole-epoch timing timed 4 batches and estimated the epoch from them
_OLD_MINI = "train.mini_batch_4batches"


def _cell(doc: dict[str, Any], size: str, stages: tuple[str, ...]) -> str:
    by = {(r["stage"], str(r["size"])): r for r in doc["stages"]}
    if stages == ("train.mini_batch_epoch",) and (stages[0], size) not in by:
        stages = (_OLD_MINI,)
    rows = [by.get((s, size)) for s in stages]
    if any(r is None for r in rows):
        return "-"
    seconds = sum(r["seconds"] for r in rows)
    detail = doc["sizes"][size]
    if stages == ("train.full_batch_2ep",):
        seconds = detail["train.full"]["seconds_per_epoch"]
    elif stages == ("train.mini_batch_epoch",):
        seconds = detail["train.mini"]["seconds_per_epoch"]
    elif stages == (_OLD_MINI,):
        seconds = detail["train.mini"]["seconds_per_epoch_estimate"]
    peak = max(r["peak_rss_python_mb"] for r in rows)
    return f"{_secs(seconds)} ({_gb(peak)})"


def _growth(doc: dict[str, Any], stages: tuple[str, ...]) -> str:
    if stages == ("train.mini_batch_epoch",) and stages[0] not in doc["growth_exponent"]:
        stages = (_OLD_MINI,)
    values = [doc["growth_exponent"].get(s) for s in stages]
    if any(v is None for v in values):
        return "-"
    text = " / ".join(f"{v:.2f}" for v in values)
    return f"**{text}**" if any(v > 1.15 for v in values) else text


def _similar_note(detail: dict[str, Any]) -> str:
    sim = detail["graph.similar"]["similar"]
    modes = sorted(set(sim.get("knn", {}).values()))
    recall = [r for r in sim.get("recall", {}).values() if r is not None]
    text = f"{'/'.join(modes) or 'exact'}, {sim['edges']:,} edges"
    if recall:
        text += f", recall of the exact edges {min(recall):.3f}-{max(recall):.3f}"
    return text


def _mini_note(size: str, detail: dict[str, Any]) -> str:
    m = detail.get("train.mini")
    if m is None:
        return f"{size}x: not timed (--skip-minibatch)"
    if "ratio_to_full_batch_epoch" not in m:  # an older run: 4 batches timed, the epoch estimated
        return (
            f"{size}x: estimated from {m['batches_timed']} batches before historical embeddings "
            f"(a 2-hop sample covered {m['sampled_videos_per_batch']:,} videos)"
        )
    return (
        f"{size}x: **{m['ratio_to_full_batch_epoch']}x** the full-batch epoch, {m['batches_per_epoch']} "
        f"batches of {m['batch_size']:,} seeds (fanout {m['fanout']}, historical embeddings)"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _torch_threads(doc: dict[str, Any]) -> int:
    return int(doc["machine"].get("torch_threads", doc["machine"]["cpu_cores"]))


def _threads(doc: dict[str, Any]) -> str:
    """The CPU the run's torch work had: its threads out of the machine's cores."""
    threads, cores = _torch_threads(doc), doc["machine"]["cpu_cores"]
    if threads == cores:
        return f"{cores} CPU cores"
    return f"{_plural(threads, 'torch thread')} of a {cores}-core machine"


def _notes(doc: dict[str, Any], sizes: list[str]) -> dict[str, str]:
    first = sizes[0]
    d1 = doc["sizes"][first]
    notes: dict[str, str] = {}
    side = doc.get("side_by_side", {}).get("ingest_batched_vs_naive")
    if side:
        notes["ingest (batched `UNWIND`)"] = (
            f"side by side at {first}x: batched writer **{side['ratio']}x** the naive "
            f"one-transaction-per-row writer ({side['batched']['posts_per_s']:,.0f} vs "
            f"{side['naive']['posts_per_s']:,.1f} posts/s; "
            f"rounds {', '.join(f'{x}x' for x in side['ratio_per_round'])}; target {side['target_ratio']}x)"
        )
    jac = [doc["sizes"][s]["jaccard_vs_reference"] for s in sizes]
    notes["graph: JACCARD (Cypher)"] = "Cypher / scipy.sparse reference (read + compute): " + ", ".join(
        f"{j['ratio_cypher_over_reference']}x" for j in jac
    )
    pop = [doc["sizes"][s]["graph.popularity"]["popularity"]["edges"] for s in sizes]
    edges = " -> ".join(f"{e:,}" for e in pop)
    notes["graph: POPULAR"] = f"edges {edges} (alpha x users x cold-start users, Algorithm 1)"
    notes["graph: SIMILAR (3 modalities, k = 10)"] = "; ".join(
        f"{s}x: {_similar_note(doc['sizes'][s])}" for s in sizes
    )
    full = d1["train.full"]
    notes["training, full-batch (per epoch)"] = (
        f"paper: {full['paper_t4_seconds_per_epoch']} s/epoch on a Tesla T4 (Table 11): "
        f"**{full['speedup_vs_paper']}x** fewer seconds on {_threads(doc)} at {first}x (64-d synthetic units)"
    )
    notes["training, mini-batch (per epoch)"] = "; ".join(_mini_note(s, doc["sizes"][s]) for s in sizes)
    notes["score test videos"] = "test videos x the whole vocabulary (" + " -> ".join(
        f"{doc['sizes'][s]['ingest']['preprocess']['vocabulary']:,}" for s in sizes
    ) + " hashtags)"
    return notes


def _features_note(feat: dict) -> str:
    """Decode and encode rates, and (runs that measured it) the side-by-side baselines."""
    workers = feat.get("workers", 0)
    where = (f"{workers} worker processes decoding and encoding" if workers > 1
             else _plural(feat["torch_threads"], "torch thread"))
    note = (
        f"decode {feat['decode_videos_per_second']} videos/s, encode {feat['encode_videos_per_second']} "
        f"videos/s per process; {where}"
    )
    bases = [feat[k] for k in ("baseline", "baseline_all_cores") if feat.get(k)]
    if not bases:
        return note
    rates = " and ".join(
        f"{b['videos_per_second']} videos/s"
        + (f" at {_plural(b['torch_threads'], 'torch thread')}" if "torch_threads" in b else "")
        for b in bases
    )
    diff = ", ".join(f"{m} {v:.1g}" for m, v in feat["max_abs_feature_difference"].items())
    which = "the faster baseline" if len(bases) > 1 else "the baseline"
    eager = " with the frame encoder in eager torch" if "eager torch" in bases[0].get("decoding", "") else ""
    return (
        f"**{feat['speedup_vs_baseline']}x** {which} run side by side ({rates}: an ffprobe and ffmpeg "
        f"processes per video, then encoding{eager}); {note}; largest feature difference from the "
        f"baseline's: {diff}"
    )


def perf_block(doc: dict[str, Any]) -> str:
    """The performance table (markers included) for one run of ``benchmarks/run.py``."""
    sizes = list(doc["sizes"])
    notes = _notes(doc, sizes)
    head = "| stage | " + " | ".join(f"{s}x: time (peak RSS)" for s in sizes) + " | growth | note |"
    lines = [BEGIN, head, "|---|" + "---|" * len(sizes) + "---|---|"]
    for label, stages in ROWS:
        cells = " | ".join(_cell(doc, s, stages) for s in sizes)
        lines.append(f"| {label} | {cells} | {_growth(doc, stages)} | {notes.get(label, '')} |")
    q = {s: {r["query"]: r for r in doc["sizes"][s]["queries"]} for s in sizes}
    cells = " | ".join(
        f"p50 {q[s]['top_hashtags']['p50_ms']:.0f} / {q[s]['why']['p50_ms']:.0f} ms, "
        f"p99 {q[s]['top_hashtags']['p99_ms']:.0f} / {q[s]['why']['p99_ms']:.0f} ms"
        for s in sizes
    )
    first = doc["sizes"][sizes[0]]["queries"][0]
    lines.append(
        f"| query `top_hashtags` / `why`, {first['clients']} clients x {first['requests']} requests "
        f"| {cells} | - | latency per request |"
    )
    feat = doc.get("side_by_side", {}).get("features_offline")
    if feat:
        lines.append(
            f"| features, offline encoders ({feat['videos']} real clips) "
            f"| {feat['videos_per_second']} videos/s"
            + " | -" * (len(sizes) - 1)
            + f" | - | {_features_note(feat)}"
            + (f" (measured in the run of {doc['features_source']})" if doc.get("features_source") else "")
            + " |"
        )
    flagged = doc.get("flagged_superlinear", {})
    lines.append("")
    lines.append(
        f"Machine: {doc['machine']['cpu_cores']} CPU cores, torch on "
        f"{_plural(_torch_threads(doc), 'thread')}, {doc['machine']['memory_gb']} GB, GPU: "
        f"{doc['machine']['gpu'] or 'none'}; {doc['total_seconds']:,.0f} s in all. Growth exponent = "
        "log(t_large / t_small) / log(size ratio); above 1.15 (bold): "
        + (", ".join(f"`{k}` {v}" for k, v in flagged.items()) or "none")
        + "."
    )
    lines.append(END)
    return "\n".join(lines)


def fixed_vocab_block(doc: dict[str, Any]) -> str:
    """Scoring and write-back of a ``--fixed-vocab`` run: time per size, kept vocabulary and growth."""
    sizes = list(doc["sizes"])
    by = {(r["stage"], str(r["size"])): r for r in doc["stages"]}
    stages = {
        "score test videos": ("recommend.score",),
        "write back RECOMMENDS (top 10)": ("recommend.write",),
        "score + write-back": ("recommend.score", "recommend.write"),
    }
    vocab = " -> ".join(f"{doc['sizes'][s]['ingest']['preprocess']['vocabulary']:,}" for s in sizes)
    head = "| stage | " + " | ".join(f"{s}x: time (peak RSS)" for s in sizes) + " | growth |"
    lines = [FIXED_BEGIN, head, "|---|" + "---|" * len(sizes) + "---|"]
    for label, names in stages.items():
        cells = " | ".join(_cell(doc, s, names) for s in sizes)
        seconds = [sum(by[(n, s)]["seconds"] for n in names) for s in sizes]
        videos = [by[(names[0], s)]["videos"] for s in sizes]
        g = math.log(seconds[-1] / seconds[0]) / math.log(videos[-1] / videos[0]) if len(sizes) > 1 else None
        lines.append(f"| {label} | {cells} | {'-' if g is None else f'{g:.2f}'} |")
    lines += [
        "",
        f"Kept vocabulary {vocab} hashtags (minimum frequency {doc['args']['min_hashtag_freq']} x size); "
        f"{_threads(doc)}, GPU: {doc['machine']['gpu'] or 'none'}.",
        FIXED_END,
    ]
    return "\n".join(lines)
