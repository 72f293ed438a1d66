"""Rebuild the frozen blind split of the real pool (``data/splits/``), deterministically.

Texts of the seed and the pool are joined (union-find) when they share a *site* or a normalised
*initiative name*; a component is a group that must sit wholly on one side. Blind components are
drawn at random (fixed seed) among the components that hold no seed text and at most
``MAX_BLIND_GROUP`` texts, until the blind part reaches ``TARGET_BLIND`` texts. A second-pass
labelling sample is then drawn from the dev part, stratified by ``doc_kind`` and ``is_initiative``.

Run from the repository root::

    python scripts/make_pool_split.py            # writes data/splits/*.txt
    python scripts/make_pool_split.py --out DIR  # writes elsewhere (the test does)

Only ids are written; the third-party texts stay in ``../shared/data``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.settings import PROJECT_ROOT, SHARED_DIR  # noqa: E402

SPLIT_SEED = 20261206
SECOND_PASS_SEED = 15017
TARGET_BLIND = 270
MAX_BLIND_TOTAL = 280
MAX_BLIND_GROUP = 15
SECOND_PASS_SIZE = 160
QUOTA_SLACK = 3

# Press hosts whose first path segment is a separate regional (or city) newsroom: the site is
# host + section, otherwise one host of 44 texts would glue unrelated regions together.
SECTIONED_HOSTS = {
    "france3-regions.francetvinfo.fr": 1,  # /bretagne/..., /occitanie/...
    "la1ere.francetvinfo.fr": 1,  # /reunion/..., /guyane/...
    "20minutes.fr": 1,  # /lille/..., /nantes/...
    "pressreader.com": 2,  # /france/<newspaper title>/...
}

# Document-sharing mirrors: the host says nothing about who wrote the page, so each URL is its own
# site; texts about the same initiative are still joined by initiative name.
MIRROR_HOSTS = {
    "doczz.fr",
    "fr.doczz.net",
    "fr.readkong.com",
    "123dok.net",
    "pdfslide.fr",
    "pdfslide.tips",
    "fdocuments.fr",
    "fdocuments.net",
    "fdokument.com",
    "dokumen.tips",
    "docslib.org",
    "studylibfr.com",
    "vdocuments.fr",
    "vdocuments.net",
    "vdocuments.site",
    "slidetodoc.com",
    "slideplayer.fr",
    "p.pdfhall.com",
    "issuu.com",
}

# National programmes and networks deployed in many towns under one name: every local
# deployment joins one group (regular expressions over the normalised initiative name).
PROGRAMME_PATTERNS = {
    "voisin-malin": r"voisin ?malin",
    "micro-folie": r"micro ?folie",
    "ideas-box": r"ideas ?box",
    "petites-cantines": r"petites cantines",
    "petits-debrouillards": r"debrouillard|science en bas de chez",
    "quartiers-fertiles": r"quartiers? fertiles?",
    "bus-entrepreneuriat": r"bus de l ?entrepreneuriat",
    "fete-le-mur": r"fete le mur",
    "boutique-a-l-essai": r"boutiques? a l essai",
    "vrac": r"\bvrac\b",
    "emmaus-connect": r"emmaus connect",
    "zero-chomeur": r"zero chomeurs?",
    "cites-educatives": r"cites? educatives?",
    "quartiers-d-ete": r"quartiers d ete",
    "fabrique-a-entreprendre": r"fabrique a entreprendre",
    "cite-de-l-emploi": r"cites? de l emploi",
    "nos-quartiers-ont-du-talent": r"nos quartiers ont du talent",
    "sport-dans-la-ville": r"sport dans la ville",
    "unis-cite": r"unis ?cite",
    "simplon": r"\bsimplon\b",
    "les-determines": r"\bdetermines\b",
    "tables-de-quartier": r"tables? de quartier",
    "bataillons-de-la-prevention": r"bataillons? de la prevention",
}
_PROGRAMME_RES = {key: re.compile(pattern) for key, pattern in PROGRAMME_PATTERNS.items()}


@dataclass(frozen=True)
class Text:
    """The fields of a labelled record that the split needs (never the text itself)."""

    id: str
    url: str
    initiative_names: tuple[str, ...]
    is_initiative: bool
    in_qpv: bool | None
    doc_kind: str
    innovation_types: tuple[str, ...]

    @property
    def is_seed(self) -> bool:
        return not self.id.startswith("pl")


def load_texts(path: Path) -> list[Text]:
    """Read a labelled JSONL file (seed or pool schema); a bad line is a clear error."""
    texts = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                texts.append(
                    Text(
                        id=record["id"],
                        url=record["url"],
                        initiative_names=tuple(record.get("initiative_names") or ()),
                        is_initiative=bool(record["is_initiative"]),
                        in_qpv=record.get("in_qpv"),
                        doc_kind=record["doc_kind"],
                        innovation_types=tuple(record.get("innovation_types") or ()),
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise SystemExit(
                    f"{path}:{number}: not a labelled record ({exc!r}); "
                    "expected the schema of annotations-seed/README.md"
                ) from exc
    return texts


def get_site_key(url: str) -> str:
    """The site of a URL: host without ``www.``, plus sections or the path where documented."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".").removeprefix("www.")
    segments = [s for s in unquote(parts.path).lower().split("/") if s]
    if host in MIRROR_HOSTS:
        return f"{host}/{'/'.join(segments)}"
    depth = SECTIONED_HOSTS.get(host, 0)
    return "/".join([host, *segments[:depth]])


def normalise_name(name: str) -> str:
    """Lower-case, accents and punctuation removed, leading article dropped."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", " ", ascii_name.lower()).split()
    while words and words[0] in {"le", "la", "les", "l", "un", "une", "des", "du", "de"}:
        words = words[1:]
    return " ".join(words)


def get_group_keys(text: Text) -> list[str]:
    """Every key that joins this text to others: its site, its names, its programmes."""
    keys = [f"site:{get_site_key(text.url)}"]
    for name in text.initiative_names:
        normalised = normalise_name(name)
        if len(normalised) >= 4:
            keys.append(f"name:{normalised.replace(' ', '')}")
        keys.extend(f"programme:{key}" for key, regex in _PROGRAMME_RES.items() if regex.search(normalised))
    return keys


def make_components(texts: Sequence[Text]) -> list[list[Text]]:
    """Union-find over shared keys; components sorted by their smallest id."""
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with_key: dict[str, int] = {}
    for index, text in enumerate(texts):
        for key in get_group_keys(text):
            other = first_with_key.setdefault(key, index)
            parent[find(index)] = find(other)
    members: dict[int, list[Text]] = defaultdict(list)
    for index, text in enumerate(texts):
        members[find(index)].append(text)
    components = [sorted(group, key=lambda t: t.id) for group in members.values()]
    return sorted(components, key=lambda group: group[0].id)


def draw_blind(components: Sequence[list[Text]], pool_size: int) -> set[str]:
    """Shuffle eligible components with the fixed seed and take them up to the target size.

    A component is skipped when it would push a ``doc_kind`` or an ``is_initiative`` value past its
    share of the target (plus ``QUOTA_SLACK`` texts): without this, press (whose big sites often
    also hold seed texts) would be under-represented in the blind part.
    """
    pool = [t for c in components for t in c if not t.is_seed]
    share = TARGET_BLIND / pool_size
    strata = Counter(s for t in pool for s in _get_strata(t))
    cap = {key: math.ceil(share * n) + QUOTA_SLACK for key, n in strata.items()}
    eligible = [c for c in components if len(c) <= MAX_BLIND_GROUP and not any(t.is_seed for t in c)]
    random.Random(SPLIT_SEED).shuffle(eligible)
    blind: set[str] = set()
    held: Counter[str] = Counter()
    for component in eligible:
        if len(blind) >= TARGET_BLIND:
            break
        wanted = Counter(s for t in component for s in _get_strata(t))
        if len(blind) + len(component) > MAX_BLIND_TOTAL or any(
            held[k] + n > cap[k] for k, n in wanted.items()
        ):
            continue
        blind.update(t.id for t in component)
        held.update(wanted)
    return blind


def _get_strata(text: Text) -> tuple[str, str]:
    return f"doc_kind={text.doc_kind}", f"is_initiative={text.is_initiative}"


def draw_second_pass(dev: Sequence[Text]) -> list[str]:
    """A stratified random sample (doc_kind x is_initiative) of dev ids, largest remainders."""
    strata: dict[tuple[str, bool], list[Text]] = defaultdict(list)
    for text in sorted(dev, key=lambda t: t.id):
        strata[(text.doc_kind, text.is_initiative)].append(text)
    shares = {key: SECOND_PASS_SIZE * len(group) / len(dev) for key, group in strata.items()}
    quota = {key: int(share) for key, share in shares.items()}
    by_remainder = sorted(strata, key=lambda key: (-(shares[key] - quota[key]), key))
    for key in by_remainder[: SECOND_PASS_SIZE - sum(quota.values())]:
        quota[key] += 1
    rng = random.Random(SECOND_PASS_SEED)
    chosen: list[str] = []
    for key in sorted(strata):
        chosen.extend(t.id for t in rng.sample(strata[key], quota[key]))
    return sorted(chosen)


def count_labels(texts: Iterable[Text]) -> dict[str, Counter[str]]:
    """Counts per label value (the README's tables)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        counts["total"]["texts"] += 1
        counts["is_initiative"][str(text.is_initiative).lower()] += 1
        counts["doc_kind"][text.doc_kind] += 1
        if text.is_initiative:
            counts["in_qpv (initiatives)"][json.dumps(text.in_qpv)] += 1
            for kind in text.innovation_types:
                counts["innovation_types"][kind] += 1
    return counts


def format_counts(pool: Sequence[Text], blind: set[str]) -> str:
    """A markdown table: pool, dev and blind counts (with the blind share) per label value."""
    parts = {
        "pool": count_labels(pool),
        "dev": count_labels(t for t in pool if t.id not in blind),
        "blind": count_labels(t for t in pool if t.id in blind),
    }
    lines = ["| label | value | pool | dev | blind | blind share |", "|---|---|---|---|---|---|"]
    for label, values in parts["pool"].items():
        for value in sorted(values, key=lambda v: -values[v]):
            total, held = values[value], parts["blind"][label][value]
            dev = parts["dev"][label][value]
            lines.append(f"| {label} | {value} | {total} | {dev} | {held} | {held / total:.0%} |")
    return "\n".join(lines)


def write_ids(path: Path, ids: Iterable[str]) -> None:
    """One id a line, sorted, written atomically."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(f"{i}\n" for i in sorted(ids)), encoding="utf-8")
    tmp.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the split and write ``pool-blind.txt``, ``pool-dev.txt``, ``second-pass.txt``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = SHARED_DIR / "data"
    parser.add_argument("--seed-file", type=Path, default=data / "annotations-seed" / "seed.jsonl")
    parser.add_argument("--pool-file", type=Path, default=data / "annotations-pool" / "pool.jsonl")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "data" / "splits")
    parser.add_argument("--counts", action="store_true", help="print the label counts (markdown)")
    args = parser.parse_args(argv)

    seed, pool = load_texts(args.seed_file), load_texts(args.pool_file)
    components = make_components([*seed, *pool])
    blind = draw_blind(components, len(pool))
    dev = [t for t in pool if t.id not in blind]
    args.out.mkdir(parents=True, exist_ok=True)
    write_ids(args.out / "pool-blind.txt", blind)
    write_ids(args.out / "pool-dev.txt", (t.id for t in dev))
    write_ids(args.out / "second-pass.txt", draw_second_pass(dev))
    sizes = Counter(len(c) for c in components)
    print(f"components={len(components)} largest={max(sizes)} blind={len(blind)} dev={len(dev)}")
    if args.counts:
        print(format_counts(pool, blind))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
