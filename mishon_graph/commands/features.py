"""``mishon features``: unit features for the ingested videos (resumable)."""

from __future__ import annotations

from collections import Counter

import click
from rich.table import Table

from mishon_graph.commands.common import (
    build_config,
    console,
    database,
    device_option,
    err_console,
    no_progress_option,
)
from mishon_graph.config import ENCODER_PROFILES, TEXT_ENCODERS
from mishon_graph.constants import MODALITY_NAMES
from mishon_graph.errors import MishonError
from mishon_graph.features.extract import ExtractReport, extract_features
from mishon_graph.features.plan import Shard

SHOWN_FAILURES = 10


def parse_modalities(text: str) -> tuple[str, ...]:
    """``"visual,textual"`` -> ``("visual", "textual")``; unknown names are an error."""
    names = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    bad = [n for n in names if n not in MODALITY_NAMES]
    if bad or not names:
        allowed = ",".join(MODALITY_NAMES)
        raise MishonError(f"--modalities takes a comma-separated subset of {allowed}, got {text!r}")
    return names


def summary_table(report: ExtractReport) -> Table:
    """Per-modality counts and the timing line of a run."""
    where = f"{report.profile} encoders on {report.device}, {report.threads} threads"
    if report.workers > 1:
        role = "decode + encode" if report.device == "cpu" else "decode"  # see features.encoding
        where += f", {report.workers} {role} workers"
    if report.shard:
        where += f", shard {report.shard}"
    table = Table(title=f"features ({where})")
    for column in ("modality", "encoder", "encoded", "restored", "skipped", "absent", "failed"):
        if column == "encoder":
            table.add_column(column, overflow="fold")
        else:
            table.add_column(column, justify="left" if column == "modality" else "right", no_wrap=True)
    for m, c in report.counts.items():
        values = (c.encoded, c.restored, c.skipped, c.absent, c.failed)
        table.add_row(m, report.encoders[m], *(str(x) for x in values))
    table.caption = (
        f"{report.videos} videos in {report.wall_seconds:.1f} s ({report.videos_per_second:.2f} videos/s); "
        f"decode {report.decode_seconds:.1f} s, encode {report.encode_seconds:.1f} s; "
        f"encoders loaded in {report.load_seconds:.1f} s"
    )
    return table


@click.command("features")
@click.option("--modalities", default=",".join(MODALITY_NAMES), show_default=True,
              help="Comma-separated modalities to extract.")
@click.option("--encoders", "profile", type=click.Choice(ENCODER_PROFILES),
              help="Encoder profile (default offline: weights in packages; paper: ViT/wav2vec2/BERT).")
@click.option("--text-encoder", type=click.Choice(TEXT_ENCODERS),
              help="Captions: profile (the profile's token encoder, MiniLM for offline; English) or tfidf "
                   "(character n-gram TF-IDF + truncated SVD fit on training captions; any language). "
                   "Default: MISHON_TEXT_ENCODER, else profile.")
@device_option("Where the encoders run (default auto).")
@click.option("--force", is_flag=True, help="Recompute features that already exist.")
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True,
              help="N >= 2: on a CPU, N worker processes decode and encode whole batches of media "
                   "(the torch threads shared among them); on a GPU, they decode while this process "
                   "encodes. 0 or 1: decoding in a thread here. Same features either way.")
@click.option("--shard", "shard_text", metavar="I/N",
              help="Only the videos whose id hashes to shard I of N (e.g. 0/2): run one process per shard, "
                   "at once or on several machines sharing the home and database; a later run without "
                   "--shard finds them done.")
@no_progress_option()
@click.pass_context
def features_cmd(
    ctx: click.Context, modalities: str, profile: str | None, text_encoder: str | None, device: str | None,
    force: bool, workers: int, shard_text: str | None, no_progress: bool,
) -> None:
    """Decode frames/audio and encode frames, audio and captions into unit features."""
    config = build_config(ctx, encoder_profile=profile, text_encoder=text_encoder, device=device)
    wanted = parse_modalities(modalities)
    shard = Shard.parse(shard_text) if shard_text is not None else None
    with database(config) as runner:
        report = extract_features(
            runner, config, modalities=wanted, force=force, progress=not no_progress, workers=workers,
            shard=shard,
        )
    console.print(summary_table(report))
    reasons = Counter(r for per_video in report.failures.values() for r in per_video.values())
    for reason, count in reasons.most_common():
        err_console.print(f"  {count} x {reason}")
    for video_id, per_video in list(report.failures.items())[:SHOWN_FAILURES]:
        detail = "; ".join(f"{m}: {r}" for m, r in per_video.items())
        err_console.print(f"[dim]  {video_id}: {detail}[/dim]")


def register(cli: click.Group) -> None:
    """Attach this stage's commands to the `mishon` group."""
    cli.add_command(features_cmd)
