"""Per-model serving configuration (``REPO/<model>/config.json``) and server-wide settings."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

CONFIG_FILE = "config.json"
SIM_SPEC_KEYS = {"start": float, "stop": float, "dt": float, "save_per": float, "method": str}
PRIORITIES = {"high": 0, "normal": 5, "low": 10}  # niceness added to the model's worker processes
CONTROL_MODES = ("lazy", "none", "poll", "explicit")
ARENA_STRATEGIES = ("kNextPowerOfTwo", "kSameAsRequested")


class ConfigError(ValueError):
    """A ``config.json`` that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Batching:
    """Dynamic batching: at most ``max_batch_size`` runs coalesced, waiting at most the queue delay."""

    max_batch_size: int = 256
    max_queue_delay_ms: float = 2.0


@dataclass(frozen=True)
class InstanceGroup:
    """The model's own worker processes: ``count`` of them (0: the server's ``--workers``), at most
    ``queue_limit`` requests waiting for them (0: no limit; beyond it requests get 429), and the
    scheduling ``priority`` of the processes (high, normal, low)."""

    count: int = 0
    queue_limit: int = 0
    priority: str = "normal"


@dataclass(frozen=True)
class Limits:
    """Bounds on one request: runs, time steps per run, values returned, wall-clock seconds of its run,
    and bytes its run may hold in the worker (every reported variable at every saved time)."""

    max_runs: int = 10_000
    max_steps: int = 1_000_000
    max_run_seconds: float = 30.0
    max_async_run_seconds: float = 600.0
    max_output_values: int = 20_000_000
    max_run_bytes: int = 2 * 1024**3


@dataclass(frozen=True)
class OnnxRuntime:
    """onnxruntime settings of the model's neural components, per worker process: the providers to try
    (empty: the best available), the CUDA device and arena (``gpu_mem_limit`` in bytes, 0: no limit;
    ``arena_extend_strategy``), and the CPU threads of one session (0: onnxruntime's choice)."""

    providers: tuple[str, ...] = ()
    device_id: int = 0
    gpu_mem_limit: int = 0
    arena_extend_strategy: str = "kNextPowerOfTwo"
    intra_op_threads: int = 0


@dataclass(frozen=True)
class ModelConfig:
    """How one model is served: batching, instances, limits, default sim specs, onnxruntime settings,
    whether results are cached and whether a load warms the workers up with one short run."""

    batching: Batching = field(default_factory=Batching)
    instance_group: InstanceGroup = field(default_factory=InstanceGroup)
    limits: Limits = field(default_factory=Limits)
    sim_spec: dict[str, float | str] = field(default_factory=dict)
    onnxruntime: OnnxRuntime = field(default_factory=OnnxRuntime)
    cache: bool = True
    warmup: bool = True


@dataclass(frozen=True)
class ServerSettings:
    """Server-wide settings; ``model_defaults`` applies where a model's config.json is silent.

    ``control_mode``: ``lazy`` (load on first request, reload on change, unload when idle), or Triton's
    ``none`` (load all at start, never change), ``poll`` (load all, follow the folder every
    ``poll_s``) and ``explicit`` (only ``load_models`` at start, then the load/unload requests)."""

    model_defaults: ModelConfig = field(default_factory=ModelConfig)
    max_body_bytes: int = 8 * 1024 * 1024
    idle_unload_s: float = 600.0
    workers: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    cache_bytes: int = 256 * 1024**2
    async_results_bytes: int = 1024**3
    async_runs_kept: int = 1000
    control_mode: str = "lazy"
    poll_s: float = 15.0
    load_models: tuple[str, ...] = ()


def _number(value: Any, expected: type, where: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or value != value:
        raise ConfigError(f"{where}: expected a non-negative number, got {value!r}")
    if value > 1e18:
        raise ConfigError(f"{where}: {value!r} is too large")
    if expected is int and value != int(value):
        raise ConfigError(f"{where}: expected a whole number, got {value!r}")
    return expected(value)


def _merge_section(current: Any, data: Any, where: str, *, zero_ok: frozenset[str] = frozenset()) -> Any:
    """A copy of dataclass ``current`` with the keys of dict ``data`` set, type-checked."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected an object")
    known = {f.name: type(getattr(current, f.name)) for f in fields(current)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(known))})")
        expected = known[key]
        if expected is str:
            if not isinstance(value, str):
                raise ConfigError(f"{where}.{key}: expected a string, got {value!r}")
            changes[key] = value
        elif expected is tuple:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}.{key}: expected a list of strings, got {value!r}")
            changes[key] = tuple(value)
        else:
            number = _number(value, expected, f"{where}.{key}")
            if expected is int and number < 1 and key not in zero_ok:
                raise ConfigError(f"{where}.{key}: expected a positive integer, got {value!r}")
            changes[key] = number
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
        if kind is float and (isinstance(value, bool) or not isinstance(value, int | float)
                              or not abs(value) < 1e300):
            raise ConfigError(f"{where}.{key}: expected a finite number, got {value!r}")
        spec[key] = kind(value)
    return spec


def _instance_group(current: InstanceGroup, data: Any, where: str) -> InstanceGroup:
    group = _merge_section(current, data, where, zero_ok=frozenset({"count", "queue_limit"}))
    if group.priority not in PRIORITIES:
        raise ConfigError(f"{where}.priority: expected one of {', '.join(PRIORITIES)}, got {group.priority!r}")
    return group


def _onnxruntime(current: OnnxRuntime, data: Any, where: str) -> OnnxRuntime:
    settings = _merge_section(current, data, where,
                              zero_ok=frozenset({"device_id", "gpu_mem_limit", "intra_op_threads"}))
    if settings.arena_extend_strategy not in ARENA_STRATEGIES:
        raise ConfigError(f"{where}.arena_extend_strategy: expected one of {', '.join(ARENA_STRATEGIES)}, "
                          f"got {settings.arena_extend_strategy!r}")
    return settings


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    return value


def parse_model_config(data: Any, defaults: ModelConfig, where: str = CONFIG_FILE) -> ModelConfig:
    """``defaults`` overridden by the JSON object ``data``; raises ConfigError naming the bad key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    config = defaults
    sections = {
        "batching": lambda c, v: replace(c, batching=_merge_section(c.batching, v, f"{where}: batching")),
        "instance_group": lambda c, v: replace(c, instance_group=_instance_group(
            c.instance_group, v, f"{where}: instance_group")),
        "limits": lambda c, v: replace(c, limits=_merge_section(c.limits, v, f"{where}: limits")),
        "sim_spec": lambda c, v: replace(c, sim_spec={**c.sim_spec, **_sim_spec(v, f"{where}: sim_spec")}),
        "onnxruntime": lambda c, v: replace(c, onnxruntime=_onnxruntime(c.onnxruntime, v, f"{where}: onnxruntime")),
        "cache": lambda c, v: replace(c, cache=_flag(v, f"{where}: cache")),
        "warmup": lambda c, v: replace(c, warmup=_flag(v, f"{where}: warmup")),
    }
    for key, value in data.items():
        apply = sections.get(key)
        if apply is None:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(sections))})")
        config = apply(config, value)
    return config


def read_config_bytes(model_dir: Path | None) -> bytes | None:
    """The bytes of ``model_dir/config.json`` (None without a folder or file); ConfigError if unreadable."""
    if model_dir is None:
        return None
    path = model_dir / CONFIG_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc


def load_model_config(model_dir: Path | None, defaults: ModelConfig, data: bytes | None = None) -> ModelConfig:
    """The config of the model in ``model_dir``: its config.json (or ``data``, its bytes) over ``defaults``."""
    data = read_config_bytes(model_dir) if data is None else data
    if data is None:
        return defaults
    where = str((model_dir or Path()) / CONFIG_FILE)
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read: {exc}") from exc
    return parse_model_config(parsed, defaults, where)
