"""Build Salver's test FMUs (FMI 2.0 and 3.0, model exchange and co-simulation) with CMake and the system
C compiler, into a cache folder keyed by the sources' hash: the first build takes seconds, later ones
nothing. The model descriptions are written here from ``MODELS``; the equations are in ``models/*.h``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Var:
    name: str
    vr: int
    causality: str  # input, output, parameter, local
    variability: str = "continuous"
    type: str = "Real"  # Real, Integer, Boolean (FMI 3.0: Float64, Int32, Boolean)
    start: float | None = None
    unit: str = ""
    derivative_of: int | None = None  # value reference of the state


@dataclass(frozen=True)
class Spec:
    identifier: str
    header: str
    variables: tuple[Var, ...]
    experiment: tuple[float, float, float]
    states: tuple[int, ...] = ()
    indicators: tuple[int, ...] = ()  # FMI 3.0: the variables whose value is the event indicator
    description: str = ""
    units: dict[str, dict[str, int]] = field(default_factory=dict)


MODELS: dict[str, Spec] = {
    "BouncingBall": Spec("BouncingBall", "bouncing_ball", (
        Var("h", 0, "output", start=1.0, unit="m"), Var("v", 1, "output", start=0.0, unit="m/s"),
        Var("g", 2, "parameter", "fixed", start=-9.81, unit="m/s2"), Var("e", 3, "parameter", "tunable", start=0.7),
        Var("der(h)", 4, "local", unit="m/s", derivative_of=0), Var("der(v)", 5, "local", unit="m/s2", derivative_of=1),
    ), (0.0, 3.0, 1e-3), states=(0, 1), indicators=(0,), description="A ball bouncing on the floor",
        units={"m": {"m": 1}, "m/s": {"m": 1, "s": -1}, "m/s2": {"m": 1, "s": -2}}),
    "VanDerPol": Spec("VanDerPol", "van_der_pol", (
        Var("x0", 0, "output", start=2.0), Var("x1", 1, "output", start=0.0),
        Var("mu", 2, "parameter", "fixed", start=1.0),
        Var("der(x0)", 3, "local", derivative_of=0), Var("der(x1)", 4, "local", derivative_of=1),
    ), (0.0, 20.0, 1e-2), states=(0, 1), description="The Van der Pol oscillator"),
    "Dahlquist": Spec("Dahlquist", "dahlquist", (
        Var("x", 0, "output", start=1.0), Var("k", 1, "parameter", "fixed", start=1.0),
        Var("der(x)", 2, "local", derivative_of=0),
    ), (0.0, 10.0, 0.1), states=(0,), description="Dahlquist's test equation"),
    "Stair": Spec("Stair", "stair", (
        Var("counter", 0, "output", "discrete", "Integer", start=1.0),
        Var("next", 1, "local", "discrete", start=1.0),
    ), (0.0, 10.0, 0.2), description="A counter stepping up every second (time events)"),
    "Feedthrough": Spec("Feedthrough", "feedthrough", (
        Var("real_in", 0, "input", start=0.0, unit="m"), Var("int_in", 1, "input", "discrete", "Integer", start=0.0),
        Var("bool_in", 2, "input", "discrete", "Boolean", start=0.0),
        Var("offset", 3, "parameter", "fixed", start=0.0, unit="m"),
        Var("real_out", 4, "output", unit="m"), Var("int_out", 5, "output", "discrete", "Integer"),
        Var("bool_out", 6, "output", "discrete", "Boolean"),
    ), (0.0, 2.0, 0.1), description="Inputs passed to outputs", units={"m": {"m": 1}}),
}
TIME_VR = 999
FMI3_TYPES = {"Real": "Float64", "Integer": "Int32", "Boolean": "Boolean"}


def _start_text(var: Var) -> str:
    if var.type == "Boolean":
        return "true" if var.start else "false"
    return str(int(var.start)) if var.type == "Integer" else repr(var.start)


def _initial(var: Var) -> str | None:
    if var.causality in ("parameter",):
        return "exact"
    if var.causality == "input":
        return None
    return "exact" if var.start is not None else "calculated"


def description(spec: Spec, version: int) -> bytes:
    """The modelDescription.xml of a test FMU for FMI ``version`` (2 or 3)."""
    token = "{" + hashlib.sha256(f"{spec.identifier}-{version}".encode()).hexdigest()[:32] + "}"
    root = etree.Element("fmiModelDescription", fmiVersion=f"{version}.0", modelName=spec.identifier,
                         description=spec.description, generationTool="Salver test FMUs")
    root.set("guid" if version == 2 else "instantiationToken", token)
    if version == 2:
        root.set("numberOfEventIndicators", str(len(spec.indicators)))
    etree.SubElement(root, "ModelExchange", modelIdentifier=spec.identifier)
    etree.SubElement(root, "CoSimulation", modelIdentifier=spec.identifier,
                     canHandleVariableCommunicationStepSize="true")
    if spec.units:
        definitions = etree.SubElement(root, "UnitDefinitions")
        for name, base in spec.units.items():
            unit = etree.SubElement(definitions, "Unit", name=name)
            etree.SubElement(unit, "BaseUnit", **{k: str(v) for k, v in base.items()})
    start, stop, step = spec.experiment
    etree.SubElement(root, "DefaultExperiment", startTime=repr(start), stopTime=repr(stop), stepSize=repr(step))
    variables = etree.SubElement(root, "ModelVariables")
    index = {var.vr: position + 1 for position, var in enumerate(spec.variables)}
    if version == 3:  # FMI 3.0 names the independent variable; the FMU never reads it back
        etree.SubElement(variables, "Float64", name="time", valueReference=str(TIME_VR), causality="independent",
                         variability="continuous")
    for var in spec.variables:
        attributes = {"name": var.name, "valueReference": str(var.vr), "causality": var.causality,
                      "variability": var.variability}
        initial = _initial(var)
        if initial:
            attributes["initial"] = initial
        typed: dict[str, str] = {}
        if var.start is not None and initial != "calculated":
            typed["start"] = _start_text(var)
        if var.unit:
            typed["unit"] = var.unit
        if var.derivative_of is not None:
            typed["derivative"] = str(index[var.derivative_of] if version == 2 else var.derivative_of)
        if version == 2:
            element = etree.SubElement(variables, "ScalarVariable", **attributes)
            etree.SubElement(element, var.type, **typed)
        else:
            etree.SubElement(variables, FMI3_TYPES[var.type], **attributes, **typed)
    structure = etree.SubElement(root, "ModelStructure")
    outputs = [v for v in spec.variables if v.causality == "output"]
    derivatives = [v for v in spec.variables if v.derivative_of is not None]
    unknowns = [v for v in [*outputs, *derivatives] if _initial(v) == "calculated"]
    if version == 2:
        for tag, members in (("Outputs", outputs), ("Derivatives", derivatives), ("InitialUnknowns", unknowns)):
            if members:
                group = etree.SubElement(structure, tag)
                for var in members:
                    etree.SubElement(group, "Unknown", index=str(index[var.vr]))
    else:
        for tag, members in (("Output", outputs), ("ContinuousStateDerivative", derivatives),
                             ("InitialUnknown", unknowns)):
            for var in members:
                etree.SubElement(structure, tag, valueReference=str(var.vr))
        for vr in spec.indicators:
            etree.SubElement(structure, "EventIndicator", valueReference=str(vr))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def fmi_headers() -> Path:
    """The FMI 2.0 and 3.0 headers that come with fmpy."""
    import fmpy

    return Path(fmpy.__file__).resolve().parent / "c-code"


def _digest(spec: Spec, version: int) -> str:
    sources = sorted([*HERE.glob("*.[ch]"), *(HERE / "models").glob("*.h"), HERE / "build.py", HERE / "CMakeLists.txt"])
    text = [repr(spec), str(version), *(p.read_text() for p in sources)]
    return hashlib.sha256("\n".join(text).encode()).hexdigest()[:16]


def cache_dir() -> Path:
    base = os.environ.get("SALVER_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "salver")
    return Path(base) / "test-fmus"


def build(name: str, version: int, cache: Path | None = None) -> Path:
    """The ``.fmu`` of test model ``name`` for FMI ``version``, built once into the cache."""
    spec = MODELS[name]
    target = (cache or cache_dir()) / _digest(spec, version) / f"{name}-fmi{version}.fmu"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="build-", dir=target.parent) as folder:
        build_dir = Path(folder) / "build"
        configure = ["cmake", "-S", str(HERE), "-B", str(build_dir), f"-DMODEL={spec.header}",
                     f"-DFMI_VERSION={version}", f"-DIDENTIFIER={spec.identifier}", f"-DFMI_HEADERS={fmi_headers()}",
                     "-DCMAKE_BUILD_TYPE=Release"]
        for command in (configure, ["cmake", "--build", str(build_dir)]):
            done = subprocess.run(command, capture_output=True, text=True, timeout=600)
            if done.returncode:
                raise RuntimeError(f"building {name} (FMI {version}) failed:\n{done.stdout}\n{done.stderr}")
        library = build_dir / f"{spec.identifier}.so"
        platform = "linux64" if version == 2 else "x86_64-linux"
        packed = Path(folder) / target.name
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("modelDescription.xml", description(spec, version))
            archive.write(library, f"binaries/{platform}/{spec.identifier}.so")
        shutil.move(packed, target)
    return target
