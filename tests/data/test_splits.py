"""The frozen blind split of the pool: a partition, grouped, reproducible, second pass on dev only."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

from tests.support.paths import SPLIT_SCRIPT, SPLITS_DIR

SPLIT_FILES = ("pool-blind.txt", "pool-dev.txt", "second-pass.txt")


def _read_ids(name: str) -> list[str]:
    return (SPLITS_DIR / name).read_text(encoding="utf-8").splitlines()


def test_blind_and_dev_partition_the_pool(
    split_script: ModuleType, labelled_files: tuple[Path, Path]
) -> None:
    pool_ids = {t.id for t in split_script.load_texts(labelled_files[1])}
    blind, dev = _read_ids("pool-blind.txt"), _read_ids("pool-dev.txt")
    assert blind == sorted(set(blind)) and dev == sorted(set(dev)), "ids must be sorted and unique"
    assert not set(blind) & set(dev)
    assert set(blind) | set(dev) == pool_ids
    assert 260 <= len(blind) <= 280


def test_no_site_or_initiative_name_straddles_the_split(
    split_script: ModuleType, labelled_files: tuple[Path, Path]
) -> None:
    texts = [t for path in labelled_files for t in split_script.load_texts(path)]
    blind = set(_read_ids("pool-blind.txt"))
    sides_by_key: dict[str, set[bool]] = defaultdict(set)
    for text in texts:
        for key in split_script.get_group_keys(text):
            sides_by_key[key].add(text.id in blind)
    straddling = sorted(key for key, sides in sides_by_key.items() if len(sides) > 1)
    assert straddling == []
    assert not any(t.is_seed and t.id in blind for t in texts)


def test_script_rebuilds_the_files_byte_for_byte(tmp_path: Path, labelled_files: tuple[Path, Path]) -> None:
    seed, pool = labelled_files
    command = [
        sys.executable,
        str(SPLIT_SCRIPT),
        "--seed-file",
        str(seed),
        "--pool-file",
        str(pool),
        "--out",
        str(tmp_path),
    ]
    subprocess.run(command, check=True, capture_output=True)
    for name in SPLIT_FILES:
        assert (tmp_path / name).read_bytes() == (SPLITS_DIR / name).read_bytes(), name


def test_second_pass_ids_are_dev_ids() -> None:
    second = _read_ids("second-pass.txt")
    assert len(second) == len(set(second)) == 160
    assert set(second) <= set(_read_ids("pool-dev.txt"))
    assert not set(second) & set(_read_ids("pool-blind.txt"))
