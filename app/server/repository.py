"""The model repository: ``REPO/<model>/<version>/<file>`` plus an optional ``REPO/<model>/config.json``.

Versions are folders named by integers; the highest is the default. A folder that holds its model
file directly, and a model file lying in REPO itself, are served as version 1.

A loaded version is identified by the sha256 of its files (the version folder's files, or the lone
model file, the ONNX networks it reads, and config.json). Loading describes the model in one of its
worker processes and, unless the config says ``"warmup": false``, runs it once in each of them: a
version that cannot do that is not READY, and says why. How versions come and go is the model-control
mode (see ``ServerSettings``); in ``lazy`` and ``poll`` a changed file is noticed by its stat signature
(size, mtime, ctime, inode: ctime cannot be set back) and confirmed by its content hash, and requests
already running finish on the version they started with.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from app.server.batcher import Batch, Batcher, RunHandle, RunOptions, RunOutput
from app.server.config import CONFIG_FILE, ConfigError, ModelConfig, ServerSettings, load_model_config
from app.server.modelinfo import ModelInfo
from app.server.workers import ModelSource, RunFailed, content_digest
from metamodel.errors import SalverError

log = logging.getLogger("salver.server")
MAX_VERSION_FILES = 10_000
Signature = tuple[tuple[Any, ...], ...]

class NotFound(LookupError):
    """Unknown model or version (HTTP 404)."""

class Unavailable(RuntimeError):
    """A model version that exists but cannot serve now; the message says why (HTTP 400)."""

class Group(Protocol):
    """The processes (or, in tests, the function) that describe and run one model version."""

    size: int

    async def describe(self, source: ModelSource) -> ModelInfo: ...

    async def run(self, source: ModelSource, batch: Batch, handle: RunHandle | None = None) -> RunOutput: ...

    async def warm(self, source: ModelSource, batch: Batch) -> None: ...

    def pids(self) -> list[int]: ...

    def close(self) -> None: ...

class Loader(Protocol):
    """What the repository needs from the service to load a version and to let it go."""

    def make_group(self, name: str, version: str, config: ModelConfig) -> Group: ...

    def make_batcher(self, loaded: LoadedVersion) -> Batcher: ...

    def retired(self, loaded: LoadedVersion) -> None: ...

@dataclass
class LoadedVersion:
    """A loaded model version: what it is, how it is served, and who is using it."""

    name: str
    version: str
    source: ModelSource
    signature: Signature
    config: ModelConfig
    info: ModelInfo
    group: Group
    batcher: Batcher = field(init=False)
    last_used: float = field(default_factory=time.monotonic)
    in_flight: int = 0
    retired: bool = False

@dataclass
class _Failure:
    signature: Signature
    reason: str

def signature(files: list[Path]) -> Signature:
    """What changes whenever a file's content may have: path, inode, size, mtime and ctime (or absence)."""
    rows: list[tuple[Any, ...]] = []
    for path in files:
        try:
            st = path.stat()
        except OSError:
            rows.append((str(path),))
            continue
        rows.append((str(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(rows)

def warmup_batch(info: ModelInfo, config: ModelConfig) -> Batch:
    """One run of one step with the model's defaults: compiles the model and creates its sessions."""
    spec = {**info.sim_spec, **config.sim_spec}
    start, dt = float(spec["start"]), float(spec["dt"])
    options = RunOptions(start, start + dt, dt, dt, str(spec["method"]).lower())
    return Batch({}, 1, options, (), config.limits.max_run_seconds)

def _numeric(names: list[str]) -> list[str]:
    return sorted((n for n in names if n.isdigit()), key=int)

class ModelRepository:
    """Index, loading, reloading and unloading of the model versions under ``root``."""

    def __init__(self, root: str | os.PathLike[str], settings: ServerSettings, *, loader: Loader,
                 extensions: list[str]) -> None:
        self.root = Path(root)
        self._settings = settings
        self.mode = settings.control_mode
        self._loader = loader
        self._extensions = {e.lower() for e in extensions}
        self._loaded: dict[tuple[str, str], LoadedVersion] = {}
        self._failed: dict[tuple[str, str], _Failure] = {}
        self._loading: set[tuple[str, str]] = set()
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._known: dict[str, list[str]] = {}  # versions seen at the last load (modes other than lazy)

    # -- the folder ---------------------------------------------------------------------------------
    def _is_model_file(self, path: Path) -> bool:
        return path.is_file() and not path.name.startswith(".") and path.suffix.lower() in self._extensions

    def _entries(self) -> dict[str, Path]:
        """Model name -> its folder, or a model file lying directly in the repository (named by its stem)."""
        try:
            paths = sorted(p for p in self.root.iterdir() if not p.name.startswith("."))
        except OSError:
            return {}
        entries = {p.name: p for p in paths if p.is_dir()}
        for path in paths:
            if self._is_model_file(path):
                entries.setdefault(path.stem, path)
        return entries

    def models(self) -> list[str]:
        """Model names: the folders of the repository and the model files directly in it."""
        return sorted(self._entries())

    def _entry(self, name: str) -> Path:
        entry = self._entries().get(name)
        if entry is None:
            known = ", ".join(self.models()) or "none"
            raise NotFound(f"unknown model '{name}'; the repository has: {known}")
        return entry

    def versions(self, name: str) -> list[str]:
        """Versions of ``name`` on disk, ascending: its integer-named folders; "1" for a folder holding the
        model file itself or for a model file in the repository. NotFound for an unknown model."""
        entry = self._entry(name)
        if entry.is_file():
            return ["1"]
        folders = _numeric([p.name for p in entry.iterdir() if p.is_dir()])
        if folders:
            return folders
        return ["1"] if any(self._is_model_file(p) for p in entry.iterdir()) else []

    def served_versions(self, name: str) -> list[str]:
        """The versions requests can name: on disk (lazy mode) or as last loaded (the other modes)."""
        if self.mode == "lazy":
            return self.versions(name)
        if name not in self._known:
            self._entry(name)  # NotFound for a name the folder does not hold
            return []
        return self._known[name]

    def resolve(self, name: str, version: str | None) -> str:
        """The version to serve: the given one (checked) or the highest; NotFound if there is none."""
        versions = self.served_versions(name)
        if version is None:
            if not versions:
                if self.mode != "lazy":
                    raise Unavailable(f"model '{name}' is not loaded (model-control mode {self.mode})")
                raise NotFound(f"model '{name}' has no version (expected {name}/1/<model file>)")
            return versions[-1]
        if version not in versions:
            known = ", ".join(versions) or "none"
            raise NotFound(f"model '{name}' has no version '{version}'; versions: {known}")
        return version

    def config_dir(self, name: str) -> Path | None:
        """The folder whose config.json configures ``name`` (None for a bare model file)."""
        entry = self._entry(name)
        return entry if entry.is_dir() else None

    def model_file(self, name: str, version: str) -> Path:
        """The one model file of a version (of several, the one named like the model); Unavailable if its
        folder holds none, or several of which none bears the model's name."""
        entry = self._entry(name)
        if entry.is_file():
            return entry
        folder = entry / version if (entry / version).is_dir() else entry
        try:
            files = sorted(p for p in folder.iterdir() if self._is_model_file(p))
        except OSError as exc:
            raise Unavailable(f"model '{name}' version {version}: cannot list {folder}: {exc}") from exc
        named = [p for p in files if p.stem == name]  # a model with its parts beside it: the one named so
        if len(files) > 1 and len(named) == 1:
            return named[0]
        if len(files) != 1:
            found = ", ".join(p.name for p in files) or "none"
            raise Unavailable(f"model '{name}' version {version} must hold exactly one model file "
                              f"({', '.join(sorted(self._extensions))}); found: {found}")
        return files[0]

    def _files(self, name: str, path: Path, extra: tuple[str, ...] = ()) -> list[Path]:
        """The files a version's content is: its folder's (or the lone file), config.json, its networks."""
        files = {path}
        if path.parent != self.root:
            for folder, dirs, names in os.walk(path.parent):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (
                    Path(folder) == path.parent and d.isdigit()))  # other versions are not this one's
                files.update(Path(folder) / n for n in names if not n.startswith("."))
                if len(files) > MAX_VERSION_FILES:
                    break
        config_dir = self.config_dir(name)
        if config_dir is not None:
            files.add(config_dir / CONFIG_FILE)
        files.update(Path(p) for p in extra)
        return sorted(files)

    # -- loading ------------------------------------------------------------------------------------
    def loaded(self, name: str, version: str) -> LoadedVersion | None:
        return self._loaded.get((name, version))

    def loaded_versions(self) -> list[LoadedVersion]:
        return list(self._loaded.values())

    def _changed(self, loaded: LoadedVersion) -> bool:
        try:
            path = self.model_file(loaded.name, loaded.version)
            files = self._files(loaded.name, path, loaded.info.files)
        except (NotFound, Unavailable):
            return True
        return Path(loaded.source.path) != path or signature(files) != loaded.signature

    async def acquire(self, name: str, version: str | None) -> LoadedVersion:
        """The loaded version (in lazy mode loading or reloading it if needed), in use until ``release``."""
        version = self.resolve(name, version)
        key = (name, version)
        current = self._loaded.get(key)
        if current is None or (self.mode == "lazy" and self._changed(current)):
            if self.mode != "lazy":
                failure = self._failed.get(key)
                raise Unavailable(failure.reason if failure else f"model '{name}' version {version} is not "
                                  f"loaded (model-control mode {self.mode})")
            current = await self._refresh(key)
        current.in_flight += 1
        current.last_used = time.monotonic()
        return current

    def release(self, loaded: LoadedVersion) -> None:
        """End one use of ``loaded``; a retired version closes when its last request is done."""
        loaded.in_flight -= 1
        loaded.last_used = time.monotonic()
        if loaded.retired and loaded.in_flight == 0:
            asyncio.get_running_loop().create_task(self._close(loaded))

    async def _refresh(self, key: tuple[str, str]) -> LoadedVersion:
        """Load ``key`` if it is not loaded or its files changed (under the version's lock)."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            current = self._loaded.get(key)
            if current is not None and not self._changed(current):
                return current
            try:
                return await self._load(key, current)
            except Unavailable:
                self._retire(self._loaded.get(key))  # what is on disk now cannot serve: stop serving the old
                raise

    async def _load(self, key: tuple[str, str], current: LoadedVersion | None) -> LoadedVersion:
        name, version = key
        loop = asyncio.get_running_loop()
        try:
            path = self.model_file(name, version)
            files = self._files(name, path, current.info.files if current else ())
        except NotFound as exc:
            raise Unavailable(str(exc)) from exc
        stamp = signature(files)
        failed = self._failed.get(key)
        if failed is not None and failed.signature == stamp:
            raise Unavailable(failed.reason)
        digest = await loop.run_in_executor(None, content_digest, files)
        if current is not None and current.source.digest == digest:
            current.signature = stamp  # touched, not changed
            return current
        self._loading.add(key)
        started = time.perf_counter()
        group = None
        try:
            config = load_model_config(self.config_dir(name), self._settings.model_defaults)
            group = self._loader.make_group(name, version, config)
            source = ModelSource(str(path), digest, tuple(map(str, files)))
            info = await group.describe(source)
            extra = [f for f in info.files if Path(f) not in files]
            if extra:  # networks outside the version folder: part of its content too
                files = self._files(name, path, info.files)
                stamp = signature(files)
                digest = await loop.run_in_executor(None, content_digest, files)
                source = ModelSource(str(path), digest, tuple(map(str, files)))
            if config.warmup:
                await group.warm(source, warmup_batch(info, config))
        except (ConfigError, SalverError, OSError, RunFailed) as exc:
            if group is not None:
                await loop.run_in_executor(None, group.close)
            reason = f"model '{name}' version {version} cannot be loaded: {exc}"
            self._failed[key] = _Failure(stamp, reason)
            log.warning("load failed", extra={"model": name, "version": version, "error": str(exc)})
            raise Unavailable(reason) from exc
        finally:
            self._loading.discard(key)
        self._failed.pop(key, None)
        loaded = LoadedVersion(name, version, source, stamp, config, info, group)
        loaded.batcher = self._loader.make_batcher(loaded)
        self._retire(self._loaded.get(key))
        self._loaded[key] = loaded
        log.info("model loaded", extra={"model": name, "version": version, "file": path.name,
                                        "seconds": round(time.perf_counter() - started, 3)})
        return loaded

    def _retire(self, loaded: LoadedVersion | None) -> None:
        if loaded is None or loaded.retired:
            return
        loaded.retired = True
        if self._loaded.get((loaded.name, loaded.version)) is loaded:
            del self._loaded[(loaded.name, loaded.version)]
        self._loader.retired(loaded)
        if loaded.in_flight == 0:
            asyncio.get_running_loop().create_task(self._close(loaded))
        log.info("model unloaded", extra={"model": loaded.name, "version": loaded.version})

    @staticmethod
    async def _close(loaded: LoadedVersion) -> None:
        await loaded.batcher.close()
        await asyncio.get_running_loop().run_in_executor(None, loaded.group.close)

    # -- model control ---------------------------------------------------------------------------------
    def _check_control(self, action: str) -> None:
        if self.mode in ("none", "poll"):
            raise Unavailable(f"explicit model {action} is not allowed in model-control mode '{self.mode}' "
                              "(start the server with --model-control-mode explicit or lazy)")

    async def _load_all_versions(self, name: str) -> list[str]:
        versions = self.versions(name)
        if not versions:
            raise NotFound(f"model '{name}' has no version folder (expected {name}/1/<model file>)")
        errors = []
        for version in versions:
            try:
                await self._refresh((name, version))
            except Unavailable as exc:
                errors.append(str(exc))
        self._known[name] = [v for v in versions if (name, v) in self._loaded]
        for gone in [k for k in self._loaded if k[0] == name and k[1] not in versions]:
            self._retire(self._loaded[gone])
        if errors:
            raise Unavailable("; ".join(errors))
        return versions

    async def load(self, name: str) -> list[str]:
        """Load (or reload from the files as they are now) every version of ``name``; returns the versions."""
        self._check_control("load")
        return await self._load_all_versions(name)

    def unload(self, name: str) -> None:
        """Unload every version of ``name``; requests in flight finish first. In lazy mode a later
        request loads it again; in explicit mode it stays unloaded until loaded."""
        self._check_control("unload")
        self.versions(name)
        self._known.pop(name, None)
        for loaded in [v for v in self._loaded.values() if v.name == name]:
            self._retire(loaded)

    async def start(self) -> None:
        """Load what the mode loads at start: every model (none, poll) or those named (explicit)."""
        if self.mode == "lazy":
            return
        names = self.models()
        if self.mode == "explicit" and "*" not in self._settings.load_models:
            missing = [n for n in self._settings.load_models if n not in names]
            if missing:
                log.warning("models to load are not in the repository", extra={"models": missing})
            names = [n for n in names if n in self._settings.load_models]
        for name in names:
            try:
                await self._load_all_versions(name)
            except (Unavailable, NotFound) as exc:
                log.warning("load failed", extra={"model": name, "error": str(exc)})

    async def poll(self) -> None:
        """Poll mode: load new models and versions, reload changed ones, unload what left the folder."""
        names = self.models()
        for gone in [n for n in list(self._known) if n not in names]:
            self._known.pop(gone)
            for loaded in [v for v in self._loaded.values() if v.name == gone]:
                self._retire(loaded)
        for name in names:
            try:
                await self._load_all_versions(name)
            except (Unavailable, NotFound) as exc:
                log.warning("load failed", extra={"model": name, "error": str(exc)})

    def unload_idle(self) -> list[LoadedVersion]:
        """Lazy mode: unload the versions unused for longer than the idle time (scale to zero)."""
        if self.mode != "lazy":
            return []
        limit = time.monotonic() - self._settings.idle_unload_s
        idle = [v for v in self._loaded.values() if v.in_flight == 0 and v.last_used < limit]
        for loaded in idle:
            self._retire(loaded)
        return idle

    async def index(self) -> list[dict[str, str]]:
        """Triton's repository index: ``{name, version, state, reason}`` for every version on disk. In lazy
        mode loaded versions whose files changed are reloaded first, so READY holds for what is there."""
        rows = []
        for name in self.models():
            for version in self.versions(name):
                key = (name, version)
                loaded = self._loaded.get(key)
                if loaded is not None and self.mode == "lazy" and self._changed(loaded):
                    with contextlib.suppress(Unavailable):  # the failure is the row's reason below
                        await self._refresh(key)
                failed = self._failed.get(key)
                if key in self._loaded:
                    rows.append({"name": name, "version": version, "state": "READY", "reason": ""})
                elif key in self._loading:
                    rows.append({"name": name, "version": version, "state": "LOADING", "reason": ""})
                else:
                    reason = failed.reason if failed else (
                        "not loaded (loads on first request)" if self.mode == "lazy" else "not loaded")
                    rows.append({"name": name, "version": version, "state": "UNAVAILABLE", "reason": reason})
        return rows

    async def close(self) -> None:
        """Finish queued requests of every loaded version, stop their batchers and worker processes."""
        loaded = list(self._loaded.values())
        self._loaded.clear()
        await asyncio.gather(*(self._close(v) for v in loaded), return_exceptions=True)
