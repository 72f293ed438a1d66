"""Print only id, url and text of the second-pass pool records, never their labels (blind second pass)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POOL = REPO_ROOT.parent / "shared" / "data" / "annotations-pool" / "pool.jsonl"
DEFAULT_IDS = REPO_ROOT / "data" / "splits" / "second-pass.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pool-file", type=Path, default=DEFAULT_POOL)
    parser.add_argument("--ids-file", type=Path, default=DEFAULT_IDS)
    parser.add_argument("--start", type=int, default=0, help="index of the first id to print")
    parser.add_argument("--count", type=int, default=10, help="how many ids to print")
    args = parser.parse_args()
    ids = [line.strip() for line in args.ids_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    wanted = ids[args.start : args.start + args.count]
    records: dict[str, dict[str, str]] = {}
    with args.pool_file.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["id"] in wanted:
                # Only these three fields leave this function: the labeller must not see the first labels.
                records[record["id"]] = {"id": record["id"], "url": record["url"], "text": record["text"]}
    for number, pool_id in enumerate(wanted, start=args.start):
        record = records[pool_id]
        print(f"=== [{number}] {record['id']}  {record['url']}\n{record['text']}\n")


if __name__ == "__main__":
    main()
