"""Export a model as an FMI 2.0 co-simulation FMU (``salver export MODEL model.fmu``).

The FMU's binary is the model's C program, the one the native backend runs (``native_code.py``: the
same statements, the same integration loop), with the FMI 2.0 interface of ``fmu_wrapper.c`` around
it, compiled by the system C compiler into ``binaries/linux64``. Its parameters are the model's
parameters (``fixed``: set before initialisation); those named as inputs are FMU inputs (set between
communication steps, held over a step); every other reported variable is an output. A communication
step is a whole number of the model's time steps, so an FMU importer stepping on the model's time step
gets the values Salver computes. The FMI headers come with fmpy.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path

from metamodel import atomic
from metamodel.errors import ModelError, SalverError
from metamodel.model import Model
from metamodel.names import canonical
from solvers.native import FLAGS, find_compiler
from solvers.native_code import NativeUnsupported, c_number

HERE = Path(__file__).resolve().parent
FIXED_STEP_METHODS = {"euler": 0, "rk2": 1, "rk4": 2}


class ExportError(SalverError):
    """The model cannot be exported as an FMU (the message says why)."""


def platform_folder() -> str:
    """The FMI 2.0 name of this platform's binaries folder."""
    bits = "64" if sys.maxsize > 2**32 else "32"
    if sys.platform.startswith("linux"):
        return f"linux{bits}"
    if sys.platform == "darwin":
        return f"darwin{bits}"
    if sys.platform == "win32":
        return f"win{bits}"
    raise ExportError(f"FMU export is not available on {sys.platform}")


def model_identifier(name: str) -> str:
    """A C identifier made of the model's name (the FMU's model identifier and library name)."""
    identifier = re.sub(r"\W+", "_", canonical(name), flags=re.ASCII).strip("_") or "model"
    return identifier if not identifier[0].isdigit() else f"m_{identifier}"


def export_fmu(model: Model, target: str | os.PathLike[str], inputs: Iterable[str] = ()) -> Path:
    """Write ``model`` as an FMI 2.0 co-simulation FMU at ``target``; returns the path written.

    ``inputs`` names parameters to export as FMU inputs. Raises ``ModelError`` for a model that does
    not compile and ``ExportError`` for one the C program cannot express (neural or FMU components,
    adaptive methods, functions without a C translation, time steps that change during the run).
    """
    from solvers.compiler import compile_model

    compiled = compile_model(model)
    spec = compiled.sim_spec
    if compiled.neural or compiled.fmus:
        raise ExportError("models with neural or FMU components cannot be exported as an FMU yet")
    if spec.controls:
        raise ExportError(f"{', '.join(sorted(spec.controls.values()))} change during the run; an FMU steps on a "
                          "fixed time step")
    if spec.method not in FIXED_STEP_METHODS:
        raise ExportError(f"the method {spec.method} is adaptive; an exported FMU integrates with euler, rk2 or rk4")
    try:
        native = compiled.programs.native()
    except NativeUnsupported as refusal:
        raise ExportError(f"the model's C program cannot be written: {refusal}") from None
    layout = compiled.layout
    names = {canonical(layout.display[k]): i for i, k in enumerate(layout.parameters)}
    wanted = {}
    for name in inputs:
        if canonical(name) not in names:
            raise ModelError(f"'{name}' cannot be an input of the FMU: it is not a parameter of the model "
                             f"(parameters: {', '.join(compiled.parameters) or 'none'})")
        wanted[names[canonical(name)]] = name
    parameters = set(layout.parameters)
    out_columns = [c for c, k in enumerate(layout.reported) if k not in parameters]
    identifier = model_identifier(model.name)
    guid = "{" + str(uuid.uuid4()) + "}"
    defines = [
        f'#define SX_GUID "{guid}"', f"#define SX_NOUT {len(out_columns)}",
        f"#define SX_START {c_number(spec.start)}", f"#define SX_STOP {c_number(spec.stop)}",
        f"#define SX_DT {c_number(spec.dt)}", f"#define SX_METHOD {FIXED_STEP_METHODS[spec.method]}",
        _array("static const int64_t SX_OUT_COLUMN", [str(c) for c in out_columns]),
        _array("static const double SX_PAR_DEFAULT", [c_number(v) for v in layout.parameter_defaults]),
        _array("static const int SX_IS_INPUT", ["1" if i in wanted else "0" for i in range(len(layout.parameters))]),
    ]
    source = "\n".join([native.program.source, *defines, (HERE / "fmu_wrapper.c").read_text(encoding="utf-8")])
    description = _model_description(compiled, identifier, guid, wanted, out_columns)
    binary = _compile(source, identifier)
    path = atomic.resolve_target(target)
    with atomic.replacing_path(path) as temporary, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("modelDescription.xml", description)
        archive.writestr(f"binaries/{platform_folder()}/{identifier}{_library_suffix()}", binary)
    return path


def _array(declaration: str, values: list[str]) -> str:
    return f"{declaration}[] = {{{', '.join(values or ['0'])}}};"


def _library_suffix() -> str:
    return {"darwin": ".dylib", "win32": ".dll"}.get(sys.platform, ".so")


def _headers() -> Path:
    import fmpy

    return Path(fmpy.__file__).resolve().parent / "c-code"


def _compile(source: str, identifier: str) -> bytes:
    """The shared library of the FMU's C program, built with the system compiler."""
    compiler = find_compiler()
    if compiler is None:
        raise ExportError("no C compiler found (install cc, gcc or clang, or set CC)")
    with tempfile.TemporaryDirectory(prefix="salver-fmu-") as folder:
        c_file, library = Path(folder) / "model.c", Path(folder) / f"{identifier}{_library_suffix()}"
        c_file.write_text(source, encoding="utf-8")
        command = [*compiler, *FLAGS, f"-I{_headers()}", "-o", str(library), str(c_file), "-lm"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ExportError(f"the C compiler could not run: {exc}") from None
        if done.returncode != 0 or not library.is_file():
            detail = (done.stderr or done.stdout).strip().splitlines()[:3]
            raise ExportError(f"the C compiler failed: {' / '.join(detail)}")
        return library.read_bytes()


def _model_description(compiled: object, identifier: str, guid: str, inputs: dict[int, str],
                       out_columns: list[int]) -> bytes:
    from lxml import etree

    layout = compiled.layout  # type: ignore[attr-defined]
    model = compiled.model  # type: ignore[attr-defined]
    spec = model.sim_spec
    units = {key: flat_units for key, flat_units in _units(compiled).items() if flat_units}
    root = etree.Element("fmiModelDescription", fmiVersion="2.0", modelName=model.name, guid=guid,
                         generationTool=f"Salver ({platform.python_implementation()})",
                         variableNamingConvention="flat", numberOfEventIndicators="0")
    if model.doc:
        root.set("description", model.doc)
    etree.SubElement(root, "CoSimulation", modelIdentifier=identifier, canHandleVariableCommunicationStepSize="true",
                     canBeInstantiatedOnlyOncePerProcess="false", canNotUseMemoryManagementFunctions="false",
                     canGetAndSetFMUstate="false", canSerializeFMUstate="false",
                     providesDirectionalDerivative="false")
    used = sorted(set(units.values()))
    if used:
        definitions = etree.SubElement(root, "UnitDefinitions")
        for unit in used:
            etree.SubElement(definitions, "Unit", name=unit)
    etree.SubElement(root, "DefaultExperiment", startTime=repr(spec.start), stopTime=repr(spec.stop),
                     stepSize=repr(spec.dt))
    variables = etree.SubElement(root, "ModelVariables")
    for index, (key, default) in enumerate(zip(layout.parameters, layout.parameter_defaults, strict=True)):
        is_input = index in inputs
        attributes = {"causality": "input", "variability": "continuous"} if is_input else \
            {"causality": "parameter", "variability": "fixed", "initial": "exact"}
        variable = etree.SubElement(variables, "ScalarVariable", name=layout.display[key], valueReference=str(index),
                                    **attributes)
        real = etree.SubElement(variable, "Real", start=repr(float(default)))
        if key in units:
            real.set("unit", units[key])
    for position, column in enumerate(out_columns):
        key = layout.reported[column]
        variable = etree.SubElement(variables, "ScalarVariable", name=layout.display[key],
                                    valueReference=str(len(layout.parameters) + position), causality="output",
                                    variability="continuous", initial="calculated")
        real = etree.SubElement(variable, "Real")
        if key in units:
            real.set("unit", units[key])
    structure = etree.SubElement(root, "ModelStructure")
    first = len(layout.parameters) + 1  # ScalarVariable indices are 1-based, outputs follow the parameters
    outputs = etree.SubElement(structure, "Outputs")
    unknowns = etree.SubElement(structure, "InitialUnknowns")
    for position in range(len(out_columns)):
        etree.SubElement(outputs, "Unknown", index=str(first + position))
        etree.SubElement(unknowns, "Unknown", index=str(first + position))
    if not len(outputs):
        structure.remove(outputs)
        structure.remove(unknowns)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _units(compiled: object) -> dict[str, str]:
    """The unit of each flat key that has one (as written in the model)."""
    from solvers.flatten import Flattener

    flat = Flattener(compiled.model).run()  # type: ignore[attr-defined]
    return {key: var.units.strip() for key, var in flat.variables.items() if var.units.strip()}
