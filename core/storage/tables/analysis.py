"""Tables of the analysis: one current analysis per document, and model versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.base import Base, utcnow


class AnalysisRow(Base):
    """The current analysis of a document (the `vigie analyze` contract, plus searchable columns)."""

    __tablename__ = "analyses"

    doc_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_initiative: Mapped[bool] = mapped_column(Boolean, index=True)
    initiative_score: Mapped[float] = mapped_column(Float, index=True)
    in_qpv: Mapped[bool | None] = mapped_column(Boolean)
    doc_kind: Mapped[str] = mapped_column(String(40))
    # `task:version,...` when the tasks are not all at one version (one task promoted alone): no bound.
    model_version: Mapped[str | None] = mapped_column(Text)
    text_hash: Mapped[str | None] = mapped_column(String(64))
    analysed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ModelVersionRow(Base):
    """A trained model version and its place in the promote/rollback history."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[str] = mapped_column(String(80))
    path: Mapped[str] = mapped_column(String(500))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="candidate")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
