"""Triton's model configuration extension: a loaded version described as Triton's ModelConfig (JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.server.protocol import TIME
from app.server.repository import LoadedVersion


def model_config(loaded: LoadedVersion, default_workers: int) -> dict[str, Any]:
    """The ModelConfig of ``loaded``: parameters as FP64 inputs of one value per run (the batch axis),
    variables and time as outputs, its batching, instance group and limits."""
    config, info = loaded.config, loaded.info
    limits, group = config.limits, config.instance_group
    providers = list(config.onnxruntime.providers)
    parameters = {
        "priority": group.priority, "max_run_seconds": limits.max_run_seconds,
        "max_async_run_seconds": limits.max_async_run_seconds, "max_runs": limits.max_runs,
        "max_steps": limits.max_steps, "max_output_values": limits.max_output_values,
        "max_run_bytes": limits.max_run_bytes, "cache": config.cache, "warmup": config.warmup,
        "content_sha256": loaded.source.digest,
        **({"onnxruntime_providers": ",".join(providers)} if providers else {}),
        **({"gpu_mem_limit": config.onnxruntime.gpu_mem_limit} if config.onnxruntime.gpu_mem_limit else {}),
    }
    return {
        "name": loaded.name,
        "platform": "salver",
        "backend": "salver",
        "max_batch_size": config.batching.max_batch_size,
        "input": [{"name": name, "data_type": "TYPE_FP64", "dims": [1], "reshape": {"shape": []},
                   "optional": True} for name in info.parameters],
        "output": [{"name": TIME, "data_type": "TYPE_FP64", "dims": [-1]}]
                  + [{"name": name, "data_type": "TYPE_FP64", "dims": [-1]} for name in info.variables],
        "dynamic_batching": {
            "max_queue_delay_microseconds": int(config.batching.max_queue_delay_ms * 1000),
            "default_queue_policy": {"max_queue_size": group.queue_limit,
                                     "default_timeout_microseconds": int(limits.max_run_seconds * 1e6)}},
        "instance_group": [{"name": f"{loaded.name}_0", "kind": "KIND_CPU",
                            "count": group.count or default_workers}],
        "default_model_filename": Path(loaded.source.path).name,
        "parameters": {key: {"string_value": str(value).lower() if isinstance(value, bool) else str(value)}
                       for key, value in parameters.items()},
    }
