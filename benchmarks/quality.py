"""Quality on every data set, end to end through the `mishon` CLI: the default model against the best
of all baselines, with paired bootstrap intervals.

    python benchmarks/quality.py                       # every set in ../shared/data + synthetic TMALL
    python benchmarks/quality.py --datasets stackexchange-cardano --seeds 3
    python benchmarks/quality.py --text-encoder tfidf --out /tmp/q-tfidf.jsonl   # any-language captions

Each data set runs in its own home with its own managed Neo4j (started and stopped here; NEO4J_*
variables and MISHON_FEATURE_CACHE are removed from the children's environment, so no existing
database or cache is touched):
ingest -> features -> graph build -> train -> recommend (mishon+) -> evaluate --ablations. One JSON
line per data set goes to stdout and to ``--out`` (default ``docs/results/quality.jsonl``):
``{"dataset", "model_f1_at_5", "best_baseline", "best_baseline_f1_at_5", "ratio", "ci_low",
"ci_high", ...}``, where the interval is the paired bootstrap 95% interval of the F1@5 difference
model minus best baseline over the existing users' test videos; further keys hold the cold-start
comparison, every ablation's difference, the validation figures, the GNN's convergence and, with
``--seeds N``, F1@5 of N full trainings with different seeds.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from readme_blocks import markers, replace_block

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
MAIN = "MISHON+"
BASELINES = (
    "most popular",
    "user's own frequent",
    "co-occurrence",
    "content kNN",
    "user's own, recency-weighted (tuned)",
    "caption kNN (char n-gram TF-IDF)",
    "tuned mix (history + kNN + popularity)",
)
# validation signals that are a baseline on their own (cross-fitted ranker report)
VALID_BASELINE_SIGNALS = ("history", "recent", "cooccurrence", "knn", "text", "popularity")

DATASETS: dict[str, dict[str, Any]] = {
    "twitter-howyoutag": {
        "source": SHARED / "twitter-howyoutag",
        "format": "twitter",
        "ingest": ["--min-hashtag-freq", "5"],
    },
    "stackexchange-cardano": {
        "source": SHARED / "stackexchange-cardano",
        "format": "stackexchange",
        "ingest": ["--min-hashtag-freq", "3", "--min-user-posts", "1"],
    },
    "synthetic-tmall-shape": {
        "generate": "tmall",
        "format": "canonical",
        "ingest": ["--min-hashtag-freq", "5"],
    },
}


def mishon(home: Path, *args: str, log: Path) -> str:
    """Run one CLI step in ``home``; its output is appended to ``log``; a failure stops the data set."""
    # The user's server and feature cache stay out of it: each data set has its own home and Neo4j.
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_") and k != "MISHON_FEATURE_CACHE"}
    env["MISHON_HOME"] = str(home)
    cmd = [str(Path(sys.executable).parent / "mishon"), *args]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    with log.open("a", encoding="utf-8") as f:
        f.write(f"$ mishon {' '.join(args)}  ({time.monotonic() - t0:.1f} s, exit {proc.returncode})\n")
        f.write(proc.stdout + proc.stderr + "\n")
    if proc.returncode != 0:
        raise RuntimeError(f"mishon {' '.join(args)} failed (exit {proc.returncode}); see {log}")
    return proc.stdout


def main_rows(csv_path: Path, k: int = 5) -> dict[str, float]:
    with csv_path.open(encoding="utf-8") as f:
        return {r["method"]: float(r["f1"]) for r in csv.DictReader(f) if int(r["k"]) == k}


def best_of(f1: dict[str, float], names: tuple[str, ...]) -> tuple[str, float]:
    present = [n for n in names if n in f1]
    best = max(present, key=lambda n: f1[n])
    return best, f1[best]


def run_dataset(
    name: str, spec: dict[str, Any], work: Path, seeds: list[int], text_encoder: str | None = None
) -> dict[str, Any]:
    home = work / name
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    log = home / "quality.log"
    t0 = time.monotonic()
    source = spec.get("source")
    if "generate" in spec:
        source = home / "data"
        mishon(home, "generate", str(source), "--preset", spec["generate"], log=log)
    mishon(home, "db", "start", log=log)
    try:
        mishon(home, "ingest", str(source), "--format", spec["format"], *spec["ingest"], log=log)
        mishon(home, "features", *(["--text-encoder", text_encoder] if text_encoder else []), log=log)
        mishon(home, "graph", "build", log=log)
        mishon(home, "train", "--seed", str(seeds[0]), log=log)
        mishon(home, "recommend", "--method", "mishon", "--k", "10", "--run-id", "quality-mishon", log=log)
        mishon(home, "recommend", "--k", "10", "--run-id", "quality-mishon+", log=log)
        out = home / "eval"
        mishon(home, "evaluate", "--k", "1..9", "--ablations", "--out", str(out), log=log)
        seed_f1 = [main_rows(out / "existing" / "results.csv")[MAIN]]
        for s in seeds[1:]:
            model = home / "models" / f"mishon-seed{s}.pt"
            mishon(home, "train", "--seed", str(s), "--out", str(model), log=log)
            rid = f"quality-mishon+-seed{s}"
            mishon(home, "recommend", "--k", "10", "--model", str(model), "--run-id", rid, log=log)
            seed_out = home / f"eval-seed{s}"
            mishon(
                home,
                "evaluate",
                "--k",
                "5",
                "--run-id",
                rid,
                "--no-baselines",
                "--out",
                str(seed_out),
                log=log,
            )
            seed_f1.append(main_rows(seed_out / "existing" / "results.csv")[MAIN])
    finally:
        mishon(home, "db", "stop", log=log)
    record = summarise(name, home, out, seed_f1, time.monotonic() - t0)
    record["text_encoder"] = text_encoder or "profile"
    return record


def summarise(name: str, home: Path, out: Path, seed_f1: list[float], seconds: float) -> dict[str, Any]:
    existing = main_rows(out / "existing" / "results.csv")
    comparisons = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    best, best_f1 = best_of(existing, BASELINES)
    diff = comparisons["existing"][best]
    record: dict[str, Any] = {
        "dataset": name,
        "model_f1_at_5": existing[MAIN],
        "best_baseline": best,
        "best_baseline_f1_at_5": best_f1,
        "ratio": existing[MAIN] / best_f1 if best_f1 else None,
        "ci_low": diff["ci_low"],
        "ci_high": diff["ci_high"],
        "verdict": diff["verdict"],
        "test_videos": diff["n_videos"],
    }
    record["vs_every_method"] = {
        m: {k: d[k] for k in ("f1_b", "diff", "ci_low", "ci_high", "verdict")}
        for m, d in comparisons["existing"].items()
    }
    if (out / "cold_start" / "results.csv").is_file():
        cold = main_rows(out / "cold_start" / "results.csv")
        cbest, cbest_f1 = best_of(cold, BASELINES)
        cdiff = comparisons["cold-start"][cbest]
        c_only = "MISHON+ without social links (JACCARD, POPULAR): cold-start C"
        record["cold_start"] = {
            "model_f1_at_5": cold[MAIN],
            "best_baseline": cbest,
            "best_baseline_f1_at_5": cbest_f1,
            "ratio": cold[MAIN] / cbest_f1 if cbest_f1 else None,
            "ci_low": cdiff["ci_low"],
            "ci_high": cdiff["ci_high"],
            "verdict": cdiff["verdict"],
            "test_videos": cdiff["n_videos"],
            "content_only_C_f1_at_5": cold.get(c_only),
            "SC_over_C": cold[MAIN] / cold[c_only] if cold.get(c_only) else None,
        }
    run = json.loads((home / "runs" / "quality-mishon+.json").read_text(encoding="utf-8"))
    valid = run["existing"]["valid_f1"]
    vbest = max((s for s in VALID_BASELINE_SIGNALS if s in valid), key=lambda s: valid[s])
    tuned = comparisons.get("mishon+", {}).get("tuned_baselines", {})
    # cross-fitted like the model's own figure (the in-sample tuned figure is kept beside it)
    mix = tuned.get("mix_valid_f1_crossfitted", tuned.get("mix_valid_f1", 0.0))
    record["valid"] = {
        "model_f1_at_5_crossfitted": valid["ranker"],
        "scoring_with": run["existing"]["chosen"],
        # graph groups validation found no help in (recommend.hybrid.OPTIONAL_GROUPS), per ranker
        "dropped": {g: run[g].get("dropped", []) for g in ("existing", "cold") if g in run},
        "best_baseline": "tuned mix" if mix > valid[vbest] else vbest,
        "best_baseline_f1_at_5": max(mix, valid[vbest]),
        "tuned_mix_in_sample_f1_at_5": tuned.get("mix_valid_f1"),
    }
    meta = gnn_meta(home / "models" / "mishon.pt")
    record["gnn"] = meta
    record["seeds"] = {
        "f1_at_5": seed_f1,
        "mean": statistics.fmean(seed_f1),
        "sd": statistics.stdev(seed_f1) if len(seed_f1) > 1 else 0.0,
    }
    record["seconds"] = round(seconds, 1)
    return record


def keep_reports(name: str, home: Path, docs: Path) -> Path:
    """Copy the data set's evaluation reports (Markdown, CSV, comparison) under ``docs/<name>/``."""
    dest = docs / name
    if dest.exists():
        shutil.rmtree(dest)
    for sub in ("existing", "cold_start"):
        src = home / "eval" / sub
        if src.is_dir():
            (dest / sub).mkdir(parents=True, exist_ok=True)
            for f in ("results.md", "results.csv", "f1_at_k.png"):
                shutil.copy2(src / f, dest / sub / f)
    for f in ("comparison.md", "comparison.json"):
        shutil.copy2(home / "eval" / f, dest / f)
    return dest


README_BEGIN, README_END = markers("quality", "benchmarks/quality.py")


def readme_block(records: list[dict[str, Any]], docs_rel: str) -> str:
    """The README's results table and per-set detail, from the records of one run."""
    lines = [
        README_BEGIN,
        "| data set | test videos | mishon+ F1@5 | best baseline | its F1@5 | ratio "
        "| difference, 95% interval | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            f"| {r['dataset']} (existing users) | {r['test_videos']} | {r['model_f1_at_5']:.3f} | "
            f"{r['best_baseline']} | {r['best_baseline_f1_at_5']:.3f} | {r['ratio']:.2f}x | "
            f"{r['model_f1_at_5'] - r['best_baseline_f1_at_5']:+.3f} "
            f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] | {r['verdict']} |"
        )
        c = r.get("cold_start")
        if c:
            lines.append(
                f"| {r['dataset']} (cold-start users) | {c['test_videos']} | {c['model_f1_at_5']:.3f} | "
                f"{c['best_baseline']} | {c['best_baseline_f1_at_5']:.3f} | {c['ratio']:.2f}x | "
                f"{c['model_f1_at_5'] - c['best_baseline_f1_at_5']:+.3f} [{c['ci_low']:+.3f}, "
                f"{c['ci_high']:+.3f}] | {c['verdict']} |"
            )
    lines.append("")
    for r in records:
        v, g, sd = r["valid"], r["gnn"], r["seeds"]
        lines.append(f"**{r['dataset']}** ({r['seconds'] / 60:.0f} min end to end): ")
        lines.append(
            f"validation F1@5 (cross-fitted) {v['model_f1_at_5_crossfitted']:.3f} vs best baseline "
            f"{v['best_baseline']} {v['best_baseline_f1_at_5']:.3f}; GNN best epoch {g['best_epoch']} of "
            f"{g['epochs_run']} ({g['seconds']:.0f} s); seeds {len(sd['f1_at_5'])}: F1@5 {sd['mean']:.3f}"
            + (f" +- {sd['sd']:.3f}" if len(sd["f1_at_5"]) > 1 else "")
            + "."
        )
        dropped = {g: d for g, d in v.get("dropped", {}).items() if d}
        if dropped:
            who = {"existing": "existing users", "cold": "cold-start users"}
            parts = [f"{who[g]}: {', '.join(d)}" for g, d in dropped.items()]
            lines.append("Left out by validation (no help there): " + "; ".join(parts) + ".")
        ablations = {
            m: d for m, d in r["vs_every_method"].items() if "without" in m or "ablation" in m or "paper" in m
        }
        if ablations:
            parts = [
                f"{m}: {d['diff']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}] {d['verdict']}"
                for m, d in ablations.items()
            ]
            lines.append("mishon+ minus the paper's model and each ablation: " + "; ".join(parts) + ".")
        if "cold_start" in r and r["cold_start"].get("SC_over_C"):
            c = r["cold_start"]
            lines.append(
                f"Cold-start SC / C (mishon+ / mishon+ without social links): {c['SC_over_C']:.2f}x."
            )
        lines.append(f"Tables: [{docs_rel}/{r['dataset']}/]({docs_rel}/{r['dataset']}/comparison.md).")
        lines.append("")
    lines.append(README_END)
    return "\n".join(lines)


def update_readme(readme: Path, block: str) -> None:
    replace_block(readme, README_BEGIN, README_END, block)


def gnn_meta(path: Path) -> dict[str, Any]:
    from mishon_graph.learn.artifact import load_artifact

    meta = load_artifact(path).meta
    history = meta.get("history", [])
    return {
        "best_epoch": meta.get("best_epoch"),
        "epochs_run": len(history),
        "seconds": round(sum(h["seconds"] for h in history), 1),
        "best_valid_f1": meta.get("best_valid_f1"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", default=",".join(DATASETS), help="Comma-separated names.")
    parser.add_argument("--seeds", type=int, default=1, help="Full trainings with seeds 42, 43, ...")
    parser.add_argument("--work", type=Path, default=ROOT / "quality-work", help="Homes of the runs.")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "quality.jsonl")
    parser.add_argument(
        "--readme", action="store_true", help="Rewrite README.md's results block from this run."
    )
    parser.add_argument("--from-jsonl", action="store_true", help="Only rewrite the README block from --out.")
    parser.add_argument(
        "--text-encoder",
        choices=("profile", "tfidf"),
        help="Passed to `mishon features --text-encoder` (default: the profile's encoder).",
    )
    args = parser.parse_args()
    names = [n for n in args.datasets.split(",") if n]
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        parser.error(f"unknown data set {unknown[0]!r}; choose from {', '.join(DATASETS)}")
    seeds = [42 + i for i in range(max(args.seeds, 1))]
    if args.from_jsonl:
        records = [json.loads(line) for line in args.out.read_text(encoding="utf-8").splitlines() if line]
        update_readme(ROOT / "README.md", readme_block(records, "docs/results/quality"))
        return
    records = []
    for name in names:
        spec = DATASETS[name]
        if "source" in spec and not Path(spec["source"]).is_dir():
            print(json.dumps({"dataset": name, "skipped": f"{spec['source']} not found"}), flush=True)
            continue
        record = run_dataset(name, spec, args.work, seeds, args.text_encoder)
        keep_reports(name, args.work / name, args.out.parent / "quality")
        records.append(record)
        print(json.dumps(record), flush=True)
    if records:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        if args.readme:
            update_readme(ROOT / "README.md", readme_block(records, "docs/results/quality"))
    print("\nsummary (existing users, F1@5; interval: paired bootstrap 95% of model - best baseline)")
    for r in records:
        print(
            f"  {r['dataset']}: mishon+ {r['model_f1_at_5']:.3f} vs {r['best_baseline']} "
            f"{r['best_baseline_f1_at_5']:.3f} = {r['ratio']:.2f}x, "
            f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] {r['verdict']}"
        )
        if "cold_start" in r:
            c = r["cold_start"]
            print(
                f"    cold-start: {c['model_f1_at_5']:.3f} vs {c['best_baseline']} "
                f"{c['best_baseline_f1_at_5']:.3f} [{c['ci_low']:+.3f}, {c['ci_high']:+.3f}] {c['verdict']}"
            )


if __name__ == "__main__":
    main()
