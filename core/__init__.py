"""Vigie's shared kernel: domain types, settings, storage, errors. Imports nothing of ours."""
