"""Crawl benchmark: a local mirror of the shared web pages (repeated under distinct URLs) on 127.0.0.1.

Prints pages/s, CPU seconds and the crawl process's peak RSS. Usage:
    .venv/bin/python bench/crawl.py [--pages-dir ../shared/data/web] [--copies 19] [--concurrency 16]
        [--distinct] [--dump pages.jsonl]

``--distinct`` makes every copy's body different (a comment naming the copy), so no cache keyed on a
page's bytes could pay off from the repetition; ``--dump`` writes the stored pages (ids, texts, titles,
dates, hashes) as sorted JSON lines, to check that a change of code leaves the output the same.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sqlite3
import sys
import tempfile
import threading
import time
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from children import run_child  # bench/children.py: the script's own folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent


# Stored fields that do not depend on the order in which the concurrent fetches finish (which copy of
# a page is stored first, hence ``url``, ``duplicate_of`` and the fetch times, does). The canonical URL
# is dumped without the mirror's address (a new port each run), hence without the id made from it.
DUMP_FIELDS = (
    "canonical_url",
    "title",
    "date",
    "author",
    "lang",
    "text",
    "content_hash",
    "simhash",
    "http_status",
    "js_rendered",
    "title_source",
    "date_source",
)


def load_mirror(pages_dir: Path, copies: int, distinct: bool = False) -> dict[str, tuple[bytes, str]]:
    """Path -> (body, content type): every shared page, ``copies`` times under distinct URLs (with
    ``distinct``, each copy's body ends with a comment of its own: no two bodies are the same bytes)."""
    pages = []
    with (pages_dir / "manifest.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            charset = row.get("declared_charset") or "utf-8"
            pages.append((Path(row["file"]).stem, (pages_dir / row["file"]).read_bytes(), charset))
    mirror = {}
    for copy in range(copies):
        for name, body, charset in pages:
            copy_body = body + f"\n<!-- vigie bench copy {copy} -->\n".encode() if distinct else body
            mirror[f"/c{copy}/{name}.html"] = (copy_body, f"text/html; charset={charset}")
    return mirror


def serve(mirror: dict[str, tuple[bytes, str]]) -> ThreadingHTTPServer:
    """Serve the mirror plus a sitemap on a free port of 127.0.0.1."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body, ctype = mirror.get(self.path, (b"not found", "text/plain"))
            self.send_response(200 if self.path in mirror else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    locs = "".join(f"<url><loc>{base}{path}</loc></url>" for path in mirror if path.endswith(".html"))
    sitemap = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'.encode()
    mirror["/sitemap.xml"] = (sitemap, "application/xml")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for _ in range(100):  # readiness poll
        try:
            httpx.get(base + "/sitemap.xml", timeout=2).raise_for_status()
            break
        except httpx.HTTPError:
            continue
    return server


def dump_pages(database: Path, base: str, out: Path) -> int:
    """Write the stored pages' order-independent fields as JSON lines sorted by canonical URL (``base``,
    the mirror's address, left out); return the count."""
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute(f"SELECT {', '.join(DUMP_FIELDS)} FROM pages").fetchall()
        (duplicates,) = connection.execute(
            "SELECT count(*) FROM pages WHERE duplicate_of IS NOT NULL"
        ).fetchone()
    pages = [dict(zip(DUMP_FIELDS, row, strict=True)) for row in rows]
    for page in pages:
        page["canonical_url"] = str(page["canonical_url"]).removeprefix(base)
    with out.open("w", encoding="utf-8") as handle:
        for page in sorted(pages, key=lambda page: page["canonical_url"]):
            handle.write(json.dumps(page, ensure_ascii=False) + "\n")
        handle.write(json.dumps({"pages marked as duplicates": duplicates}) + "\n")
    return len(rows)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages-dir", type=Path, default=ROOT.parent / "shared" / "data" / "web")
    parser.add_argument("--copies", type=int, default=19)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--distinct", action="store_true", help="a different body for every copy")
    parser.add_argument("--dump", type=Path, help="write the stored pages here (JSON lines)")
    args = parser.parse_args()
    mirror = load_mirror(args.pages_dir, args.copies, args.distinct)
    n_pages = len(mirror)
    server = serve(mirror)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory(prefix="vigie-bench-crawl-") as tmp:
        env = dict(os.environ, VIGIE_DATA_DIR=tmp, VIGIE_CRAWL_DELAY="0", VIGIE_LOG_LEVEL="WARNING")
        env["VIGIE_CRAWL_CONCURRENCY"] = str(args.concurrency)
        command = [sys.executable, "-m", "vigie", "crawl", "--sitemap", base + "/sitemap.xml", "--json"]
        load_at_start = os.getloadavg()[0]
        start = time.perf_counter()
        proc = run_child(command, cwd=ROOT, env=env, capture=True)
        elapsed = time.perf_counter() - start
        if args.dump and proc.returncode == 0:
            dumped = dump_pages(Path(tmp) / "vigie.db", base, args.dump)
            print(f"pages dumped          {dumped} to {args.dump}")
    server.shutdown()
    if proc.returncode != 0:
        sys.exit(f"crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    counts = stats["counts"]
    print(f"mirror pages served   {n_pages}")
    print(f"pages fetched         {counts['fetched']}")
    print(f"pages stored          {counts['new']} (exact duplicates marked: {counts['duplicates']})")
    print(f"errors                {stats['errors']}")
    others = {k: counts[k] for k in ("unchanged", "empty", "js_rendered", "near_duplicates") if counts.get(k)}
    print(f"not stored / marked   {others}")
    print(f"wall time (s)         {elapsed:.1f} (process start, imports and migrations included)")
    print(f"pages/s               {counts['fetched'] / elapsed:.1f}")
    print(f"CPU seconds           {cpu:.1f} (crawler + extraction workers; the site runs in this process)")
    print(f"pages per CPU-second  {counts['fetched'] / cpu:.1f} (independent of machine load)")
    print(
        f"load average (1 min)  {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
        "(other work on the machine slows the wall time)"
    )
    print(f"peak RSS (MB)         {peak_mb:.0f} (largest process: the crawler; each worker is smaller)")


if __name__ == "__main__":
    main()
