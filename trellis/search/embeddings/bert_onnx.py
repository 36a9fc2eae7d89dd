"""An ONNX graph of a BERT encoder (the architecture of all-MiniLM-L6-v2), built from its
safetensors weights, so that onnxruntime can run it on the CPU without torch.

Hugging Face publishes the model as PyTorch weights; exporting it to ONNX the usual way needs
torch (a multi-GB install here). The encoder is small and fixed (embeddings, N layers of
self-attention and a feed-forward block, each followed by a residual LayerNorm), so the graph
is written out directly from the configuration, layer by layer, following transformers'
BertModel. `benchmarks/bench_embeddings.py` checks the result against sentence-transformers.
"""

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17  # LayerNormalization is an operator from 17 on


class _Graph:
    """Accumulates nodes and initialisers, handing out unique tensor names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, hint: str, value: np.ndarray) -> str:
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str = "", **attrs: Any) -> str:
        out = self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out


def _linear(g: _Graph, x: str, weights: dict[str, np.ndarray], prefix: str) -> str:
    # torch's Linear keeps (out, in); MatMul wants (in, out). A constant right-hand side is
    # what onnxruntime's dynamic quantisation turns into an int8 MatMul.
    w = g.const(f"{prefix}.w", np.ascontiguousarray(weights[f"{prefix}.weight"].T))
    b = g.const(f"{prefix}.b", weights[f"{prefix}.bias"])
    return g.op("Add", [g.op("MatMul", [x, w]), b])


def _layer_norm(g: _Graph, x: str, weights: dict[str, np.ndarray], prefix: str, eps: float) -> str:
    gamma = g.const(f"{prefix}.gamma", weights[f"{prefix}.weight"])
    beta = g.const(f"{prefix}.beta", weights[f"{prefix}.bias"])
    return g.op("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=eps)


def _gelu(g: _Graph, x: str) -> str:
    """The exact (erf) GELU BERT uses: 0.5 · x · (1 + erf(x / √2))."""
    scaled = g.op("Mul", [x, g.const("inv_sqrt2", np.array(1 / math.sqrt(2), np.float32))])
    one_plus = g.op("Add", [g.op("Erf", [scaled]), g.const("one", np.array(1.0, np.float32))])
    return g.op("Mul", [g.op("Mul", [x, one_plus]), g.const("half", np.array(0.5, np.float32))])


def build_encoder(model_dir: Path) -> onnx.ModelProto:
    """input_ids, attention_mask (int64, [batch, tokens]) → last_hidden_state (float32)."""
    from safetensors.numpy import load_file

    config = json.loads((model_dir / "config.json").read_text())
    weights = load_file(str(model_dir / "model.safetensors"))
    weights = {k.removeprefix("bert."): v for k, v in weights.items()}
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    head_size = hidden // heads
    eps = float(config.get("layer_norm_eps", 1e-12))
    g = _Graph()

    # Embeddings: word + position + token type 0, then LayerNorm.
    words = g.op("Gather", [g.const("word_emb", weights["embeddings.word_embeddings.weight"]),
                            "input_ids"], axis=0)  # fmt: skip
    length = g.op(
        "Gather",
        [g.op("Shape", ["input_ids"]), g.const("one_i", np.array(1, np.int64))],
        axis=0,
    )
    positions = g.op(
        "Range",
        [g.const("zero_i", np.array(0, np.int64)), length, g.const("step", np.array(1, np.int64))],
    )
    pos = g.op("Gather", [g.const("pos_emb", weights["embeddings.position_embeddings.weight"]),
                          positions], axis=0)  # fmt: skip
    token_type = g.const("type_emb", weights["embeddings.token_type_embeddings.weight"][0])
    x = g.op("Add", [g.op("Add", [words, pos]), token_type])
    x = _layer_norm(g, x, weights, "embeddings.LayerNorm", eps)

    # The attention mask as an additive bias, [batch, 1, 1, tokens]: 0 to keep, very negative
    # to ignore (transformers uses the float32 minimum).
    mask = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    keep = g.op("Sub", [g.const("one_f", np.array(1.0, np.float32)), mask])
    bias = g.op("Mul", [keep, g.const("min_f", np.array(np.finfo(np.float32).min, np.float32))])
    bias = g.op("Unsqueeze", [bias, g.const("axes", np.array([1, 2], np.int64))])

    split_heads = g.const("split", np.array([0, 0, heads, head_size], np.int64))
    merge_heads = g.const("merge", np.array([0, 0, hidden], np.int64))
    scale = g.const("scale", np.array(1 / math.sqrt(head_size), np.float32))
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}"

        def heads_of(name: str, perm: list[int], p: str = p, x: str = x) -> str:
            projected = _linear(g, x, weights, f"{p}.attention.self.{name}")
            return g.op("Transpose", [g.op("Reshape", [projected, split_heads])], perm=perm)

        q = heads_of("query", [0, 2, 1, 3])
        k = heads_of("key", [0, 2, 3, 1])
        v = heads_of("value", [0, 2, 1, 3])
        scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k]), scale]), bias])
        context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
        context = g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]), merge_heads])
        attended = g.op("Add", [_linear(g, context, weights, f"{p}.attention.output.dense"), x])
        attended = _layer_norm(g, attended, weights, f"{p}.attention.output.LayerNorm", eps)
        inner = _gelu(g, _linear(g, attended, weights, f"{p}.intermediate.dense"))
        out = g.op("Add", [_linear(g, inner, weights, f"{p}.output.dense"), attended])
        x = _layer_norm(g, out, weights, f"{p}.output.LayerNorm", eps)

    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    graph = helper.make_graph(
        g.nodes,
        "bert_encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [
            helper.make_tensor_value_info(
                "last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", hidden]
            )
        ],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
