"""CLI command modules; each exposes ``register(app, groups)`` and owns one area's commands."""

from vigie.commands import alerts, analyze, annotations, crawl, demo, doctor, encoder, geo, ops, search, serve

COMMAND_MODULES = [crawl, analyze, geo, search, serve, ops, demo, annotations, doctor, encoder, alerts]
