"""Per-model serving configuration (``REPO/<model>/config.json``) and server-wide settings."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

CONFIG_FILE = "config.json"
SIM_SPEC_KEYS = {"start": float, "stop": float, "dt": float, "save_per": float, "method": str}


class ConfigError(ValueError):
    """A ``config.json`` that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Batching:
    """Dynamic batching: at most ``max_batch_size`` runs coalesced, waiting at most the queue delay;
    at most ``instances`` batches of the model run at once (0: one per worker process)."""

    max_batch_size: int = 256
    max_queue_delay_ms: float = 2.0
    instances: int = 0


@dataclass(frozen=True)
class Limits:
    """Bounds on one request: runs, time steps per run, values returned, wall-clock seconds of its run."""

    max_runs: int = 10_000
    max_steps: int = 1_000_000
    max_run_seconds: float = 30.0
    max_async_run_seconds: float = 600.0
    max_output_values: int = 20_000_000


@dataclass(frozen=True)
class ModelConfig:
    """How one model is served: batching, limits, default sim specs, and whether results are cached."""

    batching: Batching = field(default_factory=Batching)
    limits: Limits = field(default_factory=Limits)
    sim_spec: dict[str, float | str] = field(default_factory=dict)
    cache: bool = True


@dataclass(frozen=True)
class ServerSettings:
    """Server-wide settings; ``model_defaults`` applies where a model's config.json is silent."""

    model_defaults: ModelConfig = field(default_factory=ModelConfig)
    max_body_bytes: int = 8 * 1024 * 1024
    idle_unload_s: float = 600.0
    workers: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    cache_entries: int = 1024
    async_runs_kept: int = 1000


def _merge_section(current: Any, data: Any, where: str) -> Any:
    """A copy of dataclass ``current`` with the keys of dict ``data`` set, type-checked."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected an object")
    known = {f.name: type(getattr(current, f.name)) for f in fields(current)}
    changes = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(known))})")
        expected = known[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"{where}.{key}: expected a non-negative number, got {value!r}")
        if expected is int and (value != int(value) or value < 1):
            raise ConfigError(f"{where}.{key}: expected a positive integer, got {value!r}")
        changes[key] = expected(value)
    return replace(current, **changes)


def _sim_spec(data: Any, where: str) -> dict[str, float | str]:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected an object")
    spec: dict[str, float | str] = {}
    for key, value in data.items():
        kind = SIM_SPEC_KEYS.get(key)
        if kind is None:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(SIM_SPEC_KEYS))})")
        if kind is str and not isinstance(value, str):
            raise ConfigError(f"{where}.{key}: expected a string, got {value!r}")
        if kind is float and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ConfigError(f"{where}.{key}: expected a number, got {value!r}")
        spec[key] = kind(value)
    return spec


def parse_model_config(data: Any, defaults: ModelConfig, where: str = CONFIG_FILE) -> ModelConfig:
    """``defaults`` overridden by the JSON object ``data``; raises ConfigError naming the bad key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    config = defaults
    for key, value in data.items():
        if key == "batching":
            config = replace(config, batching=_merge_section(config.batching, value, f"{where}: batching"))
        elif key == "limits":
            config = replace(config, limits=_merge_section(config.limits, value, f"{where}: limits"))
        elif key == "sim_spec":
            config = replace(config, sim_spec={**config.sim_spec, **_sim_spec(value, f"{where}: sim_spec")})
        elif key == "cache":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: cache: expected true or false, got {value!r}")
            config = replace(config, cache=value)
        else:
            raise ConfigError(f"{where}: unknown key {key!r} (known: batching, cache, limits, sim_spec)")
    return config


def load_model_config(model_dir: Path, defaults: ModelConfig) -> ModelConfig:
    """The config of the model in ``model_dir``: its config.json over ``defaults`` (absent file: defaults)."""
    path = model_dir / CONFIG_FILE
    if not path.is_file():
        return defaults
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    return parse_model_config(data, defaults, str(path))
