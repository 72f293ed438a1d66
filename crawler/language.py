"""The crawler's language guess: the one detector of Vigie (core.language), shared with analysis."""

from __future__ import annotations

from core.language import detect_language, load_language_model

__all__ = ["detect_language", "load_language_model"]
