"""Functional Mock-up Units (FMI 2.0 and 3.0): the archive, its model description, and the component.

An FMU is a zip archive of a ``modelDescription.xml``, shared libraries and resources. It is opened
once per process and content (sha256) into a private folder: entry names that climb out of the
archive, links, too many entries, too large a size or a compression ratio of a zip bomb are refused
before anything is written. The model description is first parsed by the hardened XML parser (no
entities, no DTD, bounded depth and size), then read by fmpy.

``build_fmu_component`` makes an ``FmuComponent``: its inputs, outputs and numeric parameters with
units and start values, and the FMU's default experiment. ``load(path)`` (``salver run X.fmu``) wraps
one FMU in a model of its own: an aux per input (its start value, a parameter), per parameter and per
output, so that the FMU runs alone over its default experiment and ``--set`` reaches its parameters.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import stat
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from importers.report import ImportReport
from importers.xmi_archive import DAMAGED_DIRECTORY, DAMAGED_ENTRY, MAX_ENTRIES, MAX_RATIO, RATIO_FLOOR, is_safe_name
from importers.xml_safe import parse_file
from metamodel.elements import Aux, FmuComponent, FmuVariable, SimSpec
from metamodel.errors import ModelError, ParseError
from metamodel.model import Model
from metamodel.names import canonical

FMU_SUFFIX = ".fmu"
MAX_FMU_BYTES = 2 * 1024**3  # the archive
MAX_UNPACKED_BYTES = 4 * 1024**3  # all its entries, inflated
DEFAULT_STEPS = 500  # communication steps over a default experiment that gives no step size
NUMERIC_TYPES = {"Real", "Integer", "Boolean", "Enumeration", "Float64", "Float32", "Int8", "UInt8", "Int16",
                 "UInt16", "Int32", "UInt32", "Int64", "UInt64"}
_FOLDER_LOCK = threading.Lock()
_FOLDERS: dict[str, Path] = {}  # sha256 of the archive -> the folder it was unpacked into
_ROOT: list[Path] = []


@dataclass
class FmuArchive:
    """An FMU unpacked into a private folder, with fmpy's reading of its model description."""

    path: Path
    sha256: str
    folder: Path
    description: Any  # fmpy.model_description.ModelDescription


# --------------------------------------------------------------------------------------------------
# The archive
# --------------------------------------------------------------------------------------------------


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def open_fmu(path: str | os.PathLike[str], sha256: str | None = None) -> FmuArchive:
    """The FMU at ``path`` unpacked (once per process and content) and its model description read.

    ``sha256`` is the digest the caller expects (a model's record of the file); a file that has changed
    since is refused. Raises ``ParseError`` for a file that is not a readable, safe FMU.
    """
    file = Path(path)
    source = str(file)
    try:
        size = file.stat().st_size
        if size > MAX_FMU_BYTES:
            raise ParseError(f"FMU of {size} bytes, more than the {MAX_FMU_BYTES} allowed", file=source)
        digest = file_sha256(file)
    except OSError as exc:
        raise ParseError(f"cannot read the FMU: {exc.strerror}", file=source) from None
    if sha256 is not None and digest != sha256:
        raise ParseError(f"the FMU has changed since it was added (sha256 {digest[:12]}…, expected "
                         f"{sha256[:12] or 'none recorded'}…); re-add the component to accept the new file",
                         file=source)
    with _FOLDER_LOCK:
        folder = _FOLDERS.get(digest)
        if folder is None or not folder.is_dir():
            folder = _FOLDERS[digest] = _unpack(file, digest)
    return FmuArchive(file, digest, folder, read_description(folder, source))


def _unpack(file: Path, digest: str) -> Path:
    """Unpack the archive into a new private folder after checking every entry."""
    source = str(file)
    try:
        archive = zipfile.ZipFile(file)
    except (*DAMAGED_DIRECTORY, OSError):
        raise ParseError("not an FMU: the file is not a zip archive", file=source) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise ParseError(f"archive has {len(infos)} entries, more than {MAX_ENTRIES}", file=source)
        total = 0
        for info in infos:
            where = f"{source}!{info.filename}"
            if not is_safe_name(info.filename):
                raise ParseError("archive entry with an unsafe path (absolute, or climbing out with '..'); "
                                 "the FMU is not unpacked", file=where)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ParseError("archive entry is a symbolic link; the FMU is not unpacked", file=where)
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise ParseError(f"archive entry expands {info.file_size // max(info.compress_size, 1)}-fold "
                                 f"(limit {MAX_RATIO}); refused as a possible zip bomb", file=where)
            total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            raise ParseError(f"archive unpacks to {total} bytes, more than the {MAX_UNPACKED_BYTES} allowed",
                             file=source)
        if "modelDescription.xml" not in archive.namelist():
            raise ParseError("not an FMU: no modelDescription.xml at the top of the archive", file=source)
        folder = Path(tempfile.mkdtemp(prefix=f"{digest[:12]}-", dir=_root()))
        try:
            for info in infos:
                _extract(archive, info, folder, source)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    return folder


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, folder: Path, source: str) -> None:
    """Write one entry, reading no more than the size it declares."""
    target = folder.joinpath(*Path(info.filename).parts)
    if info.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with archive.open(info) as stream, open(target, "wb") as out:
            while chunk := stream.read(1 << 20):
                written += len(chunk)
                if written > info.file_size:
                    raise ParseError("archive entry inflates past the size it declares", file=f"{source}!"
                                     f"{info.filename}")
                out.write(chunk)
    except DAMAGED_ENTRY as exc:
        raise ParseError(f"damaged archive entry: {exc}", file=f"{source}!{info.filename}") from None


def _root() -> Path:
    """This process's folder of unpacked FMUs, removed when the process ends."""
    if not _ROOT:
        _ROOT.append(Path(tempfile.mkdtemp(prefix="salver-fmu-")))
        atexit.register(shutil.rmtree, _ROOT[0], True)
    return _ROOT[0]


def read_description(folder: Path, source: str) -> Any:
    """fmpy's reading of ``modelDescription.xml`` in an unpacked FMU, after the hardened parser has
    accepted the file."""
    from fmpy import read_model_description

    xml = folder / "modelDescription.xml"
    parse_file(xml)  # entities, DTDs, depth and size: refused here before fmpy reads the file
    try:
        return read_model_description(str(xml))
    except Exception as exc:  # fmpy raises plain exceptions (schema validation, unknown versions)
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ParseError(f"modelDescription.xml is not a valid FMI model description: {message}",
                         file=f"{source}!modelDescription.xml") from None


# --------------------------------------------------------------------------------------------------
# The component
# --------------------------------------------------------------------------------------------------


def interfaces(description: Any) -> list[str]:
    """The interfaces an FMU implements: ``cs`` (co-simulation), ``me`` (model exchange)."""
    found = []
    if description.coSimulation is not None:
        found.append("cs")
    if description.modelExchange is not None:
        found.append("me")
    return found


def _number(text: str | None) -> float | None:
    if text is None or text == "":
        return None
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return 1.0 if lowered == "true" else 0.0
    try:
        return float(lowered.split()[0])
    except ValueError:
        return None


def _unit(variable: Any) -> str:
    if variable.unit:
        return str(variable.unit)
    declared = variable.declaredType
    return str(declared.unit) if declared is not None and getattr(declared, "unit", None) else ""


def unit_definitions(description: Any) -> dict[str, str]:
    """The FMU's unit names in SI base units (``m/s2`` -> ``m*s^-2``); units with an offset (degC) or no
    base unit are left out, so they compare by name."""
    found = {}
    for unit in getattr(description, "unitDefinitions", None) or []:
        base = unit.baseUnit
        if base is None or base.offset:
            continue
        powers = [name if power == 1 else f"{name}^{power}" for name in ("kg", "m", "s", "A", "K", "mol", "cd", "rad")
                  if (power := getattr(base, name))]
        factor = [] if base.factor == 1.0 else [repr(float(base.factor))]
        expression = "*".join([*factor, *powers]) or "1"
        if unit.name not in (*powers, expression):  # a base unit itself (m) needs no definition
            found[unit.name] = expression
    return found


def variables(description: Any, report: ImportReport | None = None) -> dict[str, list[FmuVariable]]:
    """The inputs, outputs and numeric parameters of a model description; what cannot be a port of
    a Salver component (strings, binaries, clocks, arrays) is reported and left at its start value."""
    found: dict[str, list[FmuVariable]] = {"input": [], "output": [], "parameter": []}
    keys: dict[str, str] = {}
    for variable in description.modelVariables:
        if variable.causality not in found:
            continue
        if variable.causality == "parameter" and variable.variability not in ("fixed", "tunable"):
            continue
        why = None
        if variable.type not in NUMERIC_TYPES:
            why = f"of type {variable.type}"
        elif variable.dimensions:
            why = "an array"
        if why is not None:
            if report is not None:
                report.add(f"FMU {variable.causality} '{variable.name}' is {why}, which Salver does not connect; "
                           "it keeps its start value", variable.name, variable.sourceline, "warning")
            continue
        key = FmuVariable(variable.name).key
        if key in keys:
            raise ParseError(f"FMU variables '{keys[key]}' and '{variable.name}' have the same name in equations "
                             f"('{key}')")
        keys[key] = variable.name
        found[variable.causality].append(FmuVariable(
            name=variable.name, causality=variable.causality, value_reference=int(variable.valueReference),
            type=variable.type, units=_unit(variable), start=_number(variable.start),
            description=variable.description or ""))
    return found


def component_of(archive: FmuArchive, name: str, element_id: str, stored_path: str,
                 report: ImportReport | None = None) -> FmuComponent:
    """The ``FmuComponent`` of an opened FMU, named ``name``, its file recorded as ``stored_path``."""
    description = archive.description
    offered = interfaces(description)
    if not offered:
        raise ParseError("the FMU implements neither co-simulation nor model exchange", file=str(archive.path))
    if description.fmiVersion.split(".")[0] not in ("2", "3"):
        raise ParseError(f"FMI version {description.fmiVersion} is not supported (FMI 2.0 and 3.0 are)",
                         file=str(archive.path))
    found = variables(description, report)
    experiment = description.defaultExperiment
    times = tuple(_number(getattr(experiment, f, None)) if experiment is not None else None
                  for f in ("startTime", "stopTime", "stepSize"))
    interface = "cs" if "cs" in offered else "me"
    kind = description.coSimulation if interface == "cs" else description.modelExchange
    return FmuComponent(
        id=element_id, name=name, doc=description.description or "", path=stored_path, sha256=archive.sha256,
        fmi_version=description.fmiVersion, guid=(description.guid or description.instantiationToken or ""),
        model_identifier=kind.modelIdentifier or "", interface=interface, interfaces=offered,
        inputs=found["input"], outputs=found["output"], parameters=found["parameter"],
        states=int(description.numberOfContinuousStates or 0) if "me" in offered else 0,
        event_indicators=int(description.numberOfEventIndicators or 0) if "me" in offered else 0,
        units_defs=unit_definitions(description), experiment=times)  # type: ignore[arg-type]


def build_fmu_component(model: Model, fmu_path: str | os.PathLike[str], name: str | None = None,
                        model_dir: str | os.PathLike[str] | None = None,
                        report: ImportReport | None = None) -> FmuComponent:
    """The FMU component of the file ``fmu_path`` for ``model``, not yet added (for commands). The file
    is stored relative to ``model_dir`` (default: the model file's folder; absolute when neither is
    known). Raises ``ModelError`` for a file that is not a usable FMU, or a name already taken."""
    file = Path(fmu_path).resolve()
    try:
        archive = open_fmu(file)
    except ParseError as exc:
        raise ModelError(str(exc)) from None
    if model_dir is None and model.source_path:
        model_dir = Path(model.source_path).parent
    stored = Path(os.path.relpath(file, Path(model_dir).resolve())).as_posix() if model_dir else str(file)
    base = name or archive.description.modelName or file.stem
    chosen = _free_name(model, base, explicit=name is not None)
    try:
        return component_of(archive, chosen, model.new_id(chosen), stored, report)
    except ParseError as exc:
        raise ModelError(str(exc)) from None


def _free_name(model: Model, base: str, explicit: bool) -> str:
    taken = {e.canonical for e in model.elements.values()}
    if canonical(base) not in taken:
        return base
    if explicit:
        raise ModelError(f"cannot add FMU component '{base}': the name is already used")
    n = 2
    while canonical(f"{base} {n}") in taken:
        n += 1
    return f"{base} {n}"


# --------------------------------------------------------------------------------------------------
# An FMU on its own: ``salver run X.fmu``
# --------------------------------------------------------------------------------------------------


def experiment_spec(component: FmuComponent) -> SimSpec:
    """The FMU's default experiment as time settings: its step size, else 1/500 of its duration; model
    exchange FMUs are integrated with RK4."""
    start, stop, step = component.experiment
    start = 0.0 if start is None else start
    stop = start + 1.0 if stop is None else stop
    if not step or step <= 0:
        step = (stop - start) / DEFAULT_STEPS if stop > start else 1.0
    return SimSpec(start=start, stop=stop, dt=step, method="euler" if component.interface == "cs" else "rk4")


def wrap(component: FmuComponent, name: str) -> Model:
    """A model running ``component`` alone: an aux per input (its start value, set with ``--set``), per
    parameter (its start value) and per output (the FMU's value); the component reads the auxes."""
    model = Model(name=name, sim_spec=experiment_spec(component))
    taken = {component.canonical}
    for group in (component.inputs, component.parameters, component.outputs):
        for variable in group:
            key = variable.key
            if key in taken:
                raise ParseError(f"FMU variable '{variable.name}' has the name of another one or of the FMU "
                                 f"('{key}')")
            taken.add(key)
            if variable.causality == "output":
                equation = f"{component.canonical}.{key}"
            else:
                equation = repr(variable.start if variable.start is not None else 0.0)
                variable.equation = key
            shown = variable.name if canonical(variable.name) == key else key  # a name equations can use
            model.add(Aux(id=model.new_id(key), name=shown, equation=equation, units=variable.units,
                          doc=variable.description))
    model.add(component)
    return model


def load(path: str | os.PathLike[str]) -> tuple[Model, ImportReport]:
    """An FMU as a model of its own (see ``wrap``), over its default experiment."""
    file = Path(path)
    report = ImportReport(source=str(path), format="fmu")
    archive = open_fmu(file)
    name = archive.description.modelName or file.stem
    component_name = f"{name} FMU"
    component = component_of(archive, component_name, canonical(component_name), file.name, report)
    model = wrap(component, name)
    model.source_path = str(file.resolve())
    return model, report
