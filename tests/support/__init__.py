"""Helpers shared by the test areas: the one place for them (no test module imports another test module;
tests/test_support_layout.py checks it).

- `paths`: the repository, the shared read-only material, the frozen splits.
- `cli`: run the `vigie` command in a subprocess (`run_vigie`, `start_vigie`, `serve_vigie`).
- `crawl`: `vigie crawl --json` on the test's data directory, and reading what it stored.
- `site`: the one local web site fake (routes, gates, request log) and its page builders; `serve_handler`.
- `counting_proxy`: a real HTTP proxy in front of a service (Elasticsearch), logging the requests it forwards.
- `news_site`: the local news site of the watch tests, on `site`, with a gate instead of a delay.
- `live_app`: the seeded app wired as production (vigie.wiring.make_app_services), served on port 0.
- `web`: log in through the real form, read a page's CSRF token.
- `databases`: the `any_db_url` fixture (SQLite, then PostgreSQL), a plugin of tests/conftest.py.
- `page_id_migration`: migration 0009 checked the same way on SQLite and PostgreSQL.
- `jsonl`: JSONL inputs, bad lines included.
- `quality`: assertions a trivial model fails.
"""
