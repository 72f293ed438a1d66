"""Benchmark of `vigie analyze`: documents per second and peak RSS over synthetic ~500-word French texts.

Usage: .venv/bin/python bench/analyze.py [--docs 1000] [--words 500] [--n-process 1] [--batch-size 32]
Prints the end-to-end figures of the real CLI (a subprocess), then where the time goes, stage by stage,
measured in-process on a sample.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from children import run_child  # bench/children.py: the script's own folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PLACES = [
    ("Les Minguettes", "Vénissieux"), ("Le Mirail", "Toulouse"), ("La Paillade", "Montpellier"),
    ("Bellevue", "Nantes"), ("Hautepierre", "Strasbourg"), ("Planoise", "Besançon"), ("Le Blosne", "Rennes"),
    ("La Grande Borne", "Grigny"), ("Val Fourré", "Mantes-la-Jolie"), ("Les Izards", "Toulouse"),
]  # fmt: skip
SENTENCES = [
    "L'association {org} a lancé le projet « {name} » dans le quartier {qpv} à {city}.",
    "Depuis le printemps, une vingtaine d'habitants participent chaque semaine aux ateliers proposés.",
    "Le dispositif est soutenu par la ville de {city}, le bailleur social et la CAF.",
    "Les responsables espèrent étendre l'expérience à d'autres quartiers de l'agglomération l'an prochain.",
    "Le conseil municipal a voté une subvention de fonctionnement lors de sa dernière séance.",
    "Des jeunes en service civique accompagnent les familles dans leurs démarches administratives.",
    "Une permanence est assurée le mardi et le jeudi au centre social, sans rendez-vous.",
    "La fréquentation a doublé en six mois, selon les chiffres communiqués par la structure.",
    "Le projet associe des entreprises locales qui proposent des stages et des offres d'emploi.",
    "Un premier bilan sera présenté aux habitants lors d'une réunion publique en fin d'année.",
    "La météo clémente a permis d'organiser la fête de quartier en plein air samedi dernier.",
    "Les travaux de rénovation de la médiathèque se poursuivent et devraient s'achever à l'automne.",
    "Les élus de l'opposition ont demandé davantage de transparence sur les financements accordés.",
    "Plusieurs commerçants du marché ont rejoint l'initiative en proposant des produits à prix réduit.",
    "Une application permet désormais de réserver un créneau et de suivre l'avancement des demandes.",
    "Le préfet a salué une démarche exemplaire lors de sa visite du site la semaine dernière.",
]
ROUTINE = [
    "Le conseil municipal de {city} a adopté le budget primitif lors de sa séance de jeudi soir.",
    "Les travaux de voirie se poursuivent dans le centre-ville et la circulation reste perturbée.",
    "Le club de football local s'est imposé deux buts à un face à son voisin dimanche après-midi.",
    "La préfecture rappelle que les demandes de titres de séjour se font désormais en ligne.",
    "Selon les derniers chiffres de l'Insee, le chômage a légèrement reculé dans le département.",
    "Un incendie s'est déclaré dans un local poubelle, sans faire de blessés, selon les pompiers.",
    "La médiathèque sera fermée pendant les vacances scolaires pour l'inventaire annuel.",
    "Les élus de l'opposition ont critiqué la hausse des tarifs de la restauration scolaire.",
    "Le marché hebdomadaire est exceptionnellement déplacé sur le parking de la mairie.",
    "La météo annonce des orages en fin de journée sur l'ensemble de la région.",
]
ORGS = ["Quartiers Solidaires", "Jardins du Coin", "Mobilité Pour Tous", "Cités Numériques", "Elles Osent"]
NAMES = ["Paniers Voisins", "Atelier Vélo", "Code en Bas de Chez Moi", "Cuisine Mobile", "Radio Cité"]


def make_texts(n: int, words: int, seed: int = 0) -> list[dict[str, str]]:
    """Synthetic French articles of about `words` words: half about an initiative, half routine news."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        qpv, city = rng.choice(PLACES)
        slots = {"org": rng.choice(ORGS), "name": rng.choice(NAMES), "qpv": qpv, "city": city}
        pool = SENTENCES if i % 2 == 0 else ROUTINE
        parts: list[str] = [SENTENCES[0].format(**slots)] if i % 2 == 0 else []
        while sum(len(p.split()) for p in parts) < words:
            parts.append(rng.choice(pool).format(**slots))
        out.append({"id": f"bench-{i:05d}", "title": f"{slots['name']} à {city}", "text": " ".join(parts)})
    return out


def run_cli(items: list[dict[str, str]], n_process: int, batch_size: int) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of `vigie analyze` over the items."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        src.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in items), encoding="utf-8")
        env = os.environ.copy() | {"VIGIE_DATA_DIR": str(Path(tmp) / "var"), "HF_HUB_OFFLINE": "1"}
        cmd = [sys.executable, "-m", "vigie", "analyze", str(src), "--output", str(Path(tmp) / "out.jsonl")]
        cmd += ["--n-process", str(n_process), "--batch-size", str(batch_size)]
        start = time.perf_counter()
        run_child(cmd, check=True, env=env, cwd=ROOT)
        wall = time.perf_counter() - start
        lines = (Path(tmp) / "out.jsonl").read_text(encoding="utf-8").count("\n")
        assert lines == len(items), f"expected {len(items)} output lines, got {lines}"
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def profile_stages(items: list[dict[str, str]]) -> dict[str, float]:
    """Seconds per stage over the sample, in-process (models loaded beforehand, not counted)."""
    from core.settings import load_settings
    from nlp.decisions import link_places
    from nlp.pipeline import load_spacy, prepare, validate_item
    from vigie.wiring import make_analyzer, make_embedder

    analyzer = make_analyzer(load_settings())
    if analyzer.embedder is not None:
        analyzer.embedder = make_embedder()  # uncached, so each stage pays the real embedding cost
    load_spacy()
    timings: dict[str, float] = {}
    t = time.process_time()
    prepared = [prepare(validate_item(x, i)) for i, x in enumerate(items)]  # type: ignore[arg-type]
    timings["clean + language"] = time.process_time() - t
    t = time.process_time()
    analyzer._parse(prepared)
    timings["spaCy (sentences + NER)"] = time.process_time() - t
    t = time.process_time()
    analyzer.models.score([p.passages for p in prepared], [p.title for p in prepared], analyzer.embedder)
    timings["classifiers (+ embeddings)"] = time.process_time() - t
    t = time.process_time()
    for p in prepared:
        link_places(analyzer.linker, p.passages, p.docs)
    timings["geography linker"] = time.process_time() - t
    t = time.process_time()
    list(analyzer.analyze_many(items))
    timings["whole pipeline in-process"] = time.process_time() - t
    return timings


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--words", type=int, default=500)
    parser.add_argument("--n-process", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--profile-sample", type=int, default=100)
    args = parser.parse_args()
    items = make_texts(args.docs, args.words)
    if os.environ.get("VIGIE_EMBEDDER", "auto") == "auto" and not os.environ.get("VIGIE_ENCODER_DIR"):
        # The runs use a throwaway data directory: point `auto` at the encoder `make run` builds in ./var.
        from nlp.encoders.build_onnx import default_onnx_dir

        os.environ["VIGIE_ENCODER_DIR"] = str(default_onnx_dir(ROOT / "var"))
    print(
        f"embedder: VIGIE_EMBEDDER={os.environ.get('VIGIE_EMBEDDER', 'auto')}"
        f" VIGIE_ENCODER_DIR={os.environ.get('VIGIE_ENCODER_DIR', '')}"
    )
    print(f"{len(items)} texts of ~{args.words} words, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    wall, cpu, rss = run_cli(items, args.n_process, args.batch_size)
    print(f"vigie analyze: {wall:.1f} s wall, {len(items) / wall:.1f} docs/s, peak RSS {rss:.0f} MiB")
    # On a shared machine the wall clock measures the neighbours too; CPU time is what this run used.
    print(f"  CPU time {cpu:.1f} s (user+sys, all threads): {len(items) / cpu:.1f} docs per CPU-second")
    # Busy neighbours inflate CPU time too on these two shared cores: report the load with the figures.
    print(f"  load at the end {os.getloadavg()[0]:.1f}")
    if args.profile_sample:
        os.environ["VIGIE_DATA_DIR"] = tempfile.mkdtemp(prefix="vigie-bench-")
        sample = items[: args.profile_sample]
        timings = profile_stages(sample)
        print(f"where the time goes ({len(sample)} texts, in-process):")
        print("  (CPU seconds of this process, all threads: robust to a loaded machine)")
        for stage, seconds in timings.items():
            print(f"  {stage:<28} {seconds:6.2f} s  ({len(sample) / seconds:7.1f} docs/s)")


if __name__ == "__main__":
    main()
