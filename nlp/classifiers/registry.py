"""The model registry: train -> compare -> promote -> roll back, files and model table kept together."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.domain import ModelVersion, TaskVersions, TrainOptions
from core.settings import Settings
from core.storage.model_versions import ModelVersionRepository, TrainedVersion
from nlp.classifiers import store
from nlp.classifiers.training import Embed, TrainConfig, load_training_examples, train_all
from nlp.geo.protocols import PlaceLinker

log = logging.getLogger(__name__)


class StoredModelRegistry:
    """`core.protocols.ModelRegistry` over models/<task>/<version>/ and the `model_versions` table.

    The embedding function and the geography linker come from the composition root (they need the
    search cache and the reference data), as factories so that nothing heavy loads before a training.
    """

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        *,
        make_embed: Callable[[bool], Embed | None] = lambda enabled: None,
        make_linker: Callable[[], PlaceLinker | None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.model_dir = settings.model_dir
        self.session_factory = session_factory
        self.versions = ModelVersionRepository(session_factory)
        self.make_embed = make_embed
        self.make_linker = make_linker

    def versions_by_task(self) -> dict[str, TaskVersions]:
        """Per task: the promoted version and every version, newest first."""
        return self.versions.by_task()

    def comparison(self, version: ModelVersion) -> dict[str, Any] | None:
        """The version's `compare_with_current` from its meta.json (None when absent or unreadable)."""
        try:
            meta = json.loads((Path(version.path) / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning(
                "meta.json not readable version=%s path=%s reason=%s", version.version, version.path, exc
            )
            return None
        comparison = meta.get("compare_with_current") if isinstance(meta, dict) else None
        if not isinstance(comparison, dict):
            return None
        # Versions trained before `n_compared` and `current_seen` existed compared on all the held-out share.
        defaults: dict[str, Any] = dict.fromkeys(
            ("current_version", "current_seen", "skipped", "candidate", "current")
        )
        defaults |= {"holdout_share": 0.2, "n_holdout": 0, "geo_linker": False}
        defaults |= {"n_compared": comparison.get("n_holdout", 0)}
        defaults |= {"n_compared_initiatives": comparison.get("n_holdout_initiatives")}
        return defaults | comparison

    def train(self, options: TrainOptions, announce: Callable[[str], None] | None = None) -> dict[str, Any]:
        """Train every task on the annotations (and stored reviews with ``with_db``), then record them."""
        examples = load_training_examples(self.settings, self.session_factory if options.with_db else None)
        reference = self.settings.reference_dir
        config = TrainConfig(
            char_ngrams=options.char_ngrams,
            use_embeddings=options.use_embeddings,
            reference_dir=str(reference) if reference is not None else None,
            initiative_sentence_read=options.sentence_read,
        )
        if announce is not None:
            announce(f"training on {len(examples)} examples, features {config.features}")
        # Without embeddings for the new models, promoted models that use them still need them to compare.
        current_embed = None if options.use_embeddings else self._lazy_embed()
        report = train_all(
            examples,
            self.model_dir,
            config=config,
            embed=self.make_embed(options.use_embeddings),
            version=options.version,
            run_cv=options.run_cv,
            make_current=options.promote,
            linker=self.make_linker(),
            current_embed=current_embed,
        )
        if options.record == "report":
            self._record_report(report, options)
        else:
            self.sync()
        return report

    def _lazy_embed(self) -> Embed:
        """An embedding function that loads the embedder only if called."""

        def embed(texts: list[str]) -> Any:
            make = self.make_embed(True)
            assert make is not None, "the composition root gave no embedding function"
            return make(texts)

        return embed

    def _record_report(self, report: dict[str, Any], options: TrainOptions) -> None:
        version = report["version"]
        tasks = list(store.TASKS) + [  # the optional stages this training wrote (fast, whole-text)
            t for t in store.OPTIONAL_TASKS if (self.model_dir / t / version / "model.joblib").exists()
        ]
        self.versions.add_trained(
            TrainedVersion(
                task=task,
                version=version,
                path=str(self.model_dir / task / version),
                metrics={k: v for k, v in report.items() if k in (task, "initiative_in_qpv")},
                promoted=options.promote,
            )
            for task in tasks
        )

    def promote(self, model_id: int, actor: str) -> ModelVersion:
        """Point CURRENT.json at the version (the analyzer's files move first), then the table."""
        return self.versions.promote(model_id, actor, self._move_files)

    def rollback(self, task: str, actor: str) -> ModelVersion:
        """Point CURRENT.json back at the version promoted before, then the table."""
        return self.versions.rollback(task, actor, self._move_files)

    def _move_files(self, task: str, version: str) -> None:
        store.promote(self.model_dir, {task: version})

    def sync(self) -> int:
        """Mirror models/<task>/<version>/meta.json and CURRENT.json into the model table."""
        folders = [
            (meta.parent.parent.name, meta.parent.name, meta.parent)
            for meta in sorted(self.model_dir.glob("*/*/meta.json"))
        ]
        return self.versions.mirror(folders, store.read_current(self.model_dir), _table_metrics)


def _table_metrics(folder: Path) -> dict[str, Any]:
    """The figures the model table keeps for a version: its CV metrics, example count and data hash."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    metrics: dict[str, Any] = meta.get("cv_metrics") or {}
    return metrics | {"n_examples": meta.get("n_examples"), "data_hash": meta.get("data_hash")}
