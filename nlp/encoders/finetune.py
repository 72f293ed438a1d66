"""Fine-tunes a sentence-transformers encoder on pairs from real labelled texts (`vigie encoder train`).

A plain PyTorch loop (no `datasets` dependency): label pairs regress the cosine of two passages onto
their label similarity (SetFit's cosine-similarity loss); query pairs, when open query sets exist, use
in-batch negatives (multiple-negatives ranking loss, scale 20). Seeded: pair sampling, batch order,
dropout and initial state follow `seed`; a run stopped by the time budget records how many steps it
made, and ``max_steps`` alone decides the result when the budget is not reached.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nlp.encoders.folder import publish_folder
from nlp.encoders.pairs import Pair

log = logging.getLogger(__name__)

Progress = Callable[[int, int, float], None]  # (step, planned steps, last loss)


@dataclass
class FineTuneConfig:
    """Knobs of one fine-tuning run (recorded in meta.json)."""

    seed: int = 13
    batch_size: int = 16
    max_steps: int = 0  # 0: one epoch over every pair (query and label batches at their shares)
    learning_rate: float = 2e-5
    warmup_share: float = 0.1
    max_seq_length: int = 128  # a 500-character piece is ~130 tokens with its prefix
    train_layers: int = 4  # only the top layers learn: the word embeddings (96M of 118M weights) and the
    # lower layers stay frozen, which keeps a step affordable on 2 CPU cores
    time_budget_minutes: float = 15.0
    label_pairs_per_text: int = 1
    # Label targets in [0, 1] are mapped into this cosine range: e5's passages sit at cosine ~0.81 whatever
    # their labels, and regressing them onto 0..1 would first pull the whole space apart (search reads it).
    label_cosine_range: tuple[float, float] = (0.7, 0.95)
    query_batch_share: float | None = None  # share of steps on query pairs; None: their share of all pairs
    threads: int = 0  # 0: every usable CPU
    stop_after: int | None = None  # replay a budget-stopped run: stop after this many of the planned steps


@dataclass
class FineTuneResult:
    """What a run did: steps, minutes, whether the budget stopped it, the loss trajectory."""

    steps: int
    planned_steps: int
    minutes: float
    stopped_by_budget: bool
    losses: list[float] = field(default_factory=list)
    cpu_minutes: float = 0.0  # CPU time of the process over the loop (every thread)
    query_steps: int = 0
    kinds: list[str] = field(default_factory=list)  # "query" or "label", step by step

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        kinds = out.pop("kinds")
        # Each loss separately (they have different scales): mean of its first and last five steps.
        for kind in ("query", "label"):
            own = [loss for loss, k in zip(self.losses, kinds, strict=True) if k == kind]
            if own:
                out[f"{kind}_loss_first_last"] = [
                    round(sum(own[:5]) / len(own[:5]), 4),
                    round(sum(own[-5:]) / len(own[-5:]), 4),
                ]
        # The trajectory in ten means, enough to see it fall.
        chunk = max(1, len(self.losses) // 10)
        out["losses"] = [
            round(sum(self.losses[i : i + chunk]) / len(self.losses[i : i + chunk]), 4)
            for i in range(0, len(self.losses), chunk)
        ]
        return out


def seed_everything(seed: int) -> None:
    """Python, NumPy and torch generators."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def freeze_lower_layers(model: Any, train_layers: int) -> int:
    """Freeze all but the top `train_layers` transformer layers (and the pooler); return trainable weights."""
    trainable = 0
    for name, parameter in model.named_parameters():
        layer = _layer_index(name)
        depth = _layer_count(model)
        parameter.requires_grad = layer is not None and layer >= depth - train_layers
        trainable += parameter.numel() if parameter.requires_grad else 0
    return trainable


def _layer_index(name: str) -> int | None:
    marker = ".layer."
    if marker not in name or "pooler" in name:
        return None
    return int(name.split(marker, 1)[1].split(".", 1)[0])


def _layer_count(model: Any) -> int:
    return int(model[0].auto_model.config.num_hidden_layers)


def _embed(model: Any, texts: list[str]) -> Any:
    features = model.preprocess(texts) if hasattr(model, "preprocess") else model.tokenize(texts)
    return model(features)["sentence_embedding"]


def _label_loss(model: Any, batch: list[Pair], cosine_range: tuple[float, float] = (0.0, 1.0)) -> Any:
    import torch

    low, high = cosine_range
    first, second = _embed(model, [p.first for p in batch]), _embed(model, [p.second for p in batch])
    target = torch.tensor([low + (high - low) * float(p.target or 0.0) for p in batch], dtype=first.dtype)
    cosine = torch.nn.functional.cosine_similarity(first, second)
    return torch.nn.functional.mse_loss(cosine, target)


def _query_loss(model: Any, batch: list[Pair]) -> Any:
    import torch

    queries, passages = _embed(model, [p.first for p in batch]), _embed(model, [p.second for p in batch])
    scores = 20.0 * queries @ passages.T
    # Two queries may share a passage: its duplicates are not negatives.
    same = torch.tensor([[a.second == b.second for b in batch] for a in batch])
    scores = scores.masked_fill(same & ~torch.eye(len(batch), dtype=torch.bool), float("-inf"))
    return torch.nn.functional.cross_entropy(scores, torch.arange(len(batch)))


def plan_batches(
    label_pairs: list[Pair], query_pairs: list[Pair], config: FineTuneConfig
) -> list[tuple[str, list[Pair]]]:
    """The run's batches in order: label batches, with query batches interleaved at their share.

    `max_steps` 0 plans one epoch: as many steps as batches of all pairs, query batches at their share.
    """
    rng = random.Random(config.seed)
    kinds = {"label": list(label_pairs), "query": list(query_pairs)}
    cursors = {"label": 0, "query": 0}
    total = len(label_pairs) + len(query_pairs)
    steps = config.max_steps or -(-total // config.batch_size)
    share = config.query_batch_share
    if share is None:
        share = len(query_pairs) / total if total else 0.0
    batches = []
    for _ in range(steps):
        kind = "query" if kinds["query"] and rng.random() < share else "label"
        pairs = kinds[kind]
        if not pairs:
            break
        if cursors[kind] + config.batch_size > len(pairs):  # next epoch over this kind: reshuffle
            rng.shuffle(pairs)
            cursors[kind] = 0
        batches.append((kind, pairs[cursors[kind] : cursors[kind] + config.batch_size]))
        cursors[kind] += config.batch_size
    return batches


def fine_tune(
    model: Any,
    label_pairs: list[Pair],
    query_pairs: list[Pair],
    config: FineTuneConfig,
    progress: Progress | None = None,
) -> FineTuneResult:
    """Train `model` (a SentenceTransformer, modified in place) on the pairs; stop at the time budget."""
    import torch

    from nlp.embeddings import usable_cpus

    seed_everything(config.seed)
    torch.set_num_threads(config.threads or usable_cpus())
    batches = plan_batches(label_pairs, query_pairs, config)
    planned = len(batches)
    saved_length = model.max_seq_length
    model.max_seq_length = config.max_seq_length
    trainable = freeze_lower_layers(model, config.train_layers)
    log.info("encoder fine-tuning trainable_weights=%d planned_steps=%d", trainable, planned)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.01)
    warmup = max(1, int(planned * config.warmup_share))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (planned - s) / max(1, planned - warmup)))
    )
    losses: list[float] = []
    start, cpu_start, stopped, query_steps = time.monotonic(), time.process_time(), False, 0
    kinds: list[str] = []
    model.train()
    try:
        for step, (kind, batch) in enumerate(batches, start=1):
            if kind == "query":
                loss, query_steps = _query_loss(model, batch), query_steps + 1
            else:
                loss = _label_loss(model, batch, config.label_cosine_range)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            losses.append(float(loss.detach()))
            kinds.append(kind)
            if progress is not None:
                progress(step, planned, losses[-1])
            if config.stop_after is not None and step >= config.stop_after:
                break
            elapsed = time.monotonic() - start
            # Stop when one more step (at the mean pace so far) would overrun the budget.
            if (elapsed + elapsed / step) / 60 > config.time_budget_minutes and step < planned:
                stopped = True
                log.warning(
                    "encoder fine-tuning stopped by the time budget step=%d planned=%d", step, planned
                )
                break
    finally:
        for parameter in model.parameters():
            parameter.requires_grad = True
        model.eval()
        model.max_seq_length = saved_length
    minutes = (time.monotonic() - start) / 60
    cpu_minutes = (time.process_time() - cpu_start) / 60
    return FineTuneResult(
        len(losses), planned, round(minutes, 2), stopped, losses, round(cpu_minutes, 2), query_steps, kinds
    )


def save_encoder(model: Any, out_dir: Path) -> None:
    """Save the model folder whole, or not at all."""
    import shutil
    import tempfile

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".training-", dir=out_dir.parent))
    try:
        model.save(str(work))
        publish_folder(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
