"""`vigie backup` / `vigie restore`: the whole system of record as a portable archive.

The archive is a tar.gz holding ``manifest.json`` and one ``tables/<name>.jsonl`` per table, with
values written as plain JSON (datetimes in ISO 8601), so a backup taken on SQLite restores into
PostgreSQL and back. Restores go into an EMPTY database, in one transaction: all or nothing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic.migration import MigrationContext
from sqlalchemy import Column, Connection, Engine, Integer, Table, func, select, text
from sqlalchemy import types as satypes
from sqlalchemy.exc import SQLAlchemyError

import core.storage.tables  # noqa: F401  # registers every table on Base.metadata
from core.errors import InputError, StorageError
from core.jsonl import JsonlError, iter_jsonl
from core.storage.base import Base

log = logging.getLogger(__name__)
FORMAT = "vigie-backup"
FORMAT_VERSION = 1
BATCH = 1000
GZIP_LEVEL = 6  # zlib dominated backup time at level 9 for a size gain of a few percent


@dataclass
class BackupReport:
    """What a backup or a restore moved."""

    path: Path
    rows: dict[str, int]
    revision: str | None

    @property
    def total(self) -> int:
        """Rows over every table."""
        return sum(self.rows.values())


def _tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)  # parents before children (foreign keys)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _decode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, satypes.DateTime) and isinstance(value, str):
        return datetime.fromisoformat(value)
    if isinstance(column.type, satypes.Date) and isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(column.type, satypes.LargeBinary) and isinstance(value, dict):
        return base64.b64decode(value["$b64"])
    return value


def current_revision(conn: Connection) -> str | None:
    """The Alembic revision of the database behind ``conn``."""
    return MigrationContext.configure(conn).get_current_revision()


def _iter_rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
    for row in result.mappings():
        yield {name: _encode(value) for name, value in row.items()}


def backup_database(engine: Engine, out: Path) -> BackupReport:
    """Write every table of the database to the archive ``out`` (written whole or not at all)."""
    rows: dict[str, int] = {}
    manifest: dict[str, Any] = {"format": FORMAT, "version": FORMAT_VERSION, "tables": {}}
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    part.unlink(missing_ok=True)
    part.touch(mode=0o600)  # the archive holds password hashes: readable by its owner only
    try:
        with (
            engine.connect() as conn,
            tempfile.TemporaryDirectory() as tmp,
            tarfile.open(part, "w:gz", compresslevel=GZIP_LEVEL) as tar,
        ):
            manifest["alembic_revision"] = current_revision(conn)
            manifest["dialect"] = engine.dialect.name
            manifest["created_at"] = datetime.now(UTC).isoformat()
            for table in _tables():
                path = Path(tmp) / f"{table.name}.jsonl"
                digest, count = hashlib.sha256(), 0
                with path.open("wb") as handle:
                    for row in _iter_rows(conn, table):
                        line = (json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
                        handle.write(line)
                        digest.update(line)
                        count += 1
                tar.add(path, arcname=f"tables/{table.name}.jsonl")
                rows[table.name] = count
                manifest["tables"][table.name] = {
                    "rows": count,
                    "sha256": digest.hexdigest(),
                    "columns": [c.name for c in table.columns],
                }
            data = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    except (SQLAlchemyError, OSError) as exc:
        part.unlink(missing_ok=True)
        raise StorageError(
            f"backup to {out} failed: {exc}", hint="check the database and the output folder"
        ) from exc
    part.replace(out)
    log.info("backup written path=%s rows=%d", out, sum(rows.values()))
    return BackupReport(out, rows, manifest["alembic_revision"])


def read_manifest(tar: tarfile.TarFile, path: Path) -> dict[str, Any]:
    """The archive's manifest, checked for format and version."""
    try:
        member = tar.extractfile("manifest.json")
        manifest = json.loads(member.read()) if member else None
    except (KeyError, ValueError) as exc:
        raise InputError(
            f"{path} has no readable manifest.json: {exc}", hint="pass a file made by `vigie backup`"
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"{path} is not a Vigie backup", hint="pass a file made by `vigie backup`")
    if manifest.get("version") != FORMAT_VERSION:
        raise InputError(
            f"{path} is backup format version {manifest.get('version')}, this Vigie reads {FORMAT_VERSION}",
            hint="restore it with the Vigie version that wrote it",
        )
    return manifest


def _check_empty(conn: Connection, tables: list[Table]) -> None:
    busy = [t.name for t in tables if conn.scalar(select(func.count()).select_from(t))]
    if busy:
        raise StorageError(
            f"the target database is not empty (rows in {', '.join(busy)})",
            hint="restore into a new, empty database: point VIGIE_DATABASE_URL at it (it is migrated first)",
        )


def _iter_table_lines(tar: tarfile.TarFile, name: str, meta: dict[str, Any], path: Path) -> Iterator[bytes]:
    """Stream one table's lines, checking its checksum at the end (the caller's transaction then
    rolls back on a mismatch), so a table of millions of pages never sits whole in memory."""
    try:
        member = tar.extractfile(f"tables/{name}.jsonl")
    except KeyError as exc:
        raise InputError(
            f"{path} lacks tables/{name}.jsonl", hint="the archive is incomplete; take a new backup"
        ) from exc
    digest = hashlib.sha256()
    if member is not None:
        for line in member:
            digest.update(line)
            yield line
    if digest.hexdigest() != meta.get("sha256"):
        raise InputError(
            f"{path}: tables/{name}.jsonl is corrupted (checksum mismatch)", hint="use another backup"
        )


def _insert_table(conn: Connection, table: Table, lines: Iterator[bytes]) -> int:
    columns = {c.name: c for c in table.columns}
    batch: list[dict[str, Any]] = []
    count = 0
    for item in iter_jsonl(lines):
        if isinstance(item, JsonlError):
            raise InputError(
                f"backup table {table.name}, line {item.line}: {item.reason}", hint="use another backup"
            )
        raw = item.value
        unknown = sorted(set(raw) - set(columns))
        if unknown:
            raise InputError(
                f"backup column(s) {', '.join(unknown)} of table {table.name} do not exist in this schema",
                hint="restore with the Vigie version that wrote the backup, then upgrade",
            )
        batch.append({k: _decode(columns[k], v) for k, v in raw.items()})
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """PostgreSQL: move serial sequences past the restored ids so new rows do not collide."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
            conn.execute(
                text(
                    f'SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX("{pk[0].name}"), 1), '
                    f'MAX("{pk[0].name}") IS NOT NULL) FROM "{table.name}"'
                ),
                {"t": table.name, "c": pk[0].name},
            )


def restore_database(engine: Engine, archive: Path) -> BackupReport:
    """Load ``archive`` into the (migrated, empty) database behind ``engine``, all or nothing."""
    if not archive.is_file():
        raise InputError(
            f"backup file not found: {archive}", hint="pass the path of a file made by `vigie backup`"
        )
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115  # closed by the `with tar` below
    except (tarfile.TarError, OSError) as exc:
        raise InputError(
            f"{archive} is not a readable tar.gz: {exc}", hint="pass a file made by `vigie backup`"
        ) from exc
    rows: dict[str, int] = {}
    with tar:
        manifest = read_manifest(tar, archive)
        known = {t.name: t for t in _tables()}
        missing = sorted(set(manifest["tables"]) - set(known))
        if missing:
            raise InputError(
                f"backup holds table(s) {', '.join(missing)} unknown to this schema",
                hint="restore with the Vigie version that wrote the backup",
            )
        tables = [t for t in _tables() if t.name in manifest["tables"]]
        try:
            with engine.begin() as conn:
                _check_empty(conn, tables)
                for table in tables:
                    lines = _iter_table_lines(tar, table.name, manifest["tables"][table.name], archive)
                    rows[table.name] = _insert_table(conn, table, lines)
                _reset_sequences(conn, tables)
        except SQLAlchemyError as exc:
            raise StorageError(
                f"restore of {archive} failed, nothing was written: {exc}", hint="check the database"
            ) from exc
    log.info("restore done path=%s rows=%d", archive, sum(rows.values()))
    return BackupReport(archive, rows, manifest.get("alembic_revision"))
