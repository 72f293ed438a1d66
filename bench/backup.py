"""Backup and restore throughput: `python bench/backup.py [--pages N] [--postgres URL_OF_AN_EMPTY_DB]`.

Fills a SQLite database with N synthetic pages (about 3 KB of French text each), their analyses,
reviews and annotations, then times `backup_database` and `restore_database` into an empty SQLite
database (and into an empty PostgreSQL database when --postgres is given). Prints rows/s and sizes.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.storage import open_database  # noqa: E402
from core.storage.tables import AnalysisRow, AnnotationRow, PageRow, ReviewRow  # noqa: E402
from vigie.ops.backup import backup_database, restore_database  # noqa: E402

WORDS_TEXT = (
    "quartier association habitants projet jardin partagé insertion numérique jeunes emploi ville "
    "médiation solidaire mobilité atelier centre social bailleur contrat rénovation école collège"
)
WORDS = WORDS_TEXT.split()


def fill(url: str, pages: int) -> None:
    """Write the synthetic records in batches."""
    rng = random.Random(7)
    engine, factory = open_database(url)
    for start in range(0, pages, 2000):
        with factory() as session:
            for i in range(start, min(pages, start + 2000)):
                text = " ".join(rng.choice(WORDS) for _ in range(450))
                session.add(PageRow(id=f"p{i}", canonical_url=f"https://ex.fr/{i}", text=text, title=f"T{i}"))
                result = {"id": f"p{i}", "is_initiative": i % 3 == 0, "type_scores": {"sociale": 0.5}}
                session.add(
                    AnalysisRow(
                        doc_id=f"p{i}",
                        result=result,
                        is_initiative=i % 3 == 0,
                        initiative_score=0.5,
                        in_qpv=None,
                        doc_kind="press",
                    )
                )
                if i % 5 == 0:
                    session.add(
                        ReviewRow(doc_id=f"p{i}", status="validated", corrections={"commune": "Nantes"})
                    )
                    session.add(AnnotationRow(doc_id=f"p{i}", annotator="a", labels={"is_initiative": True}))
            session.commit()
    engine.dispose()


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=20000)
    parser.add_argument("--postgres", help="URL of an EMPTY PostgreSQL database to restore into")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source_url = f"sqlite:///{tmp}/source.db"
        fill(source_url, args.pages)
        engine, _ = open_database(source_url)
        start = time.perf_counter()
        report = backup_database(engine, Path(tmp) / "b.tar.gz")
        took = time.perf_counter() - start
        size = report.path.stat().st_size / 1e6
        rate = report.total / took
        print(f"backup   sqlite     rows={report.total} seconds={took:.1f} rows/s={rate:.0f}", end=" ")
        print(f"archive_mb={size:.1f}")
        targets = [("sqlite", f"sqlite:///{tmp}/target.db")]
        if args.postgres:
            targets.append(("postgresql", args.postgres))
        for kind, url in targets:
            target, _ = open_database(url)
            start = time.perf_counter()
            restored = restore_database(target, report.path)
            took = time.perf_counter() - start
            rate = restored.total / took
            print(f"restore  {kind:<10} rows={restored.total} seconds={took:.1f} rows/s={rate:.0f}")
            target.dispose()
        engine.dispose()


if __name__ == "__main__":
    main()
