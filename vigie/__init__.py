"""Vigie's composition root: the `vigie` CLI, the only place that wires packages together."""

__version__ = "0.1.0"
