"""Damaged foreign files: every importer answers with a model and a report, or a SalverError.

Real files from the shared samples (SD, XMI, Capella, ArchiMate, SysML v2, .mdzip, ONNX) and the test
FMUs (FMI 2.0 and 3.0) are truncated, holed and mutated byte by byte; each result goes through the
whole pipeline (import, validate, save, export, compile, run). Nothing but a SalverError may escape.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import importers
import solvers
from importers import xmile_writer
from metamodel import io
from metamodel.errors import ParseError
from solvers.neural import clear_session_cache, read_signature
from tests.bad_input import exercise, fuzz_settings, survives
from tests.paths import ROOT, SHARED

FILES = [
    SHARED / "sd-test-models" / "samples" / "teacup" / "teacup.xmile",
    SHARED / "sd-test-models" / "samples" / "bpowers-hares_and_lynxes_modules" / "model.xmile",
    SHARED / "sd-test-models" / "tests" / "subscript_aggregation" / "test_subscript_aggregation.mdl",
    SHARED / "sd-test-models" / "tests" / "get_lookups_data_3d_xls" / "test_get_lookups_data_3d_xls.mdl",
    SHARED / "sd-test-models" / "tests" / "macro_stock" / "test_macro_stock.mdl",
    SHARED / "sd-test-models" / "tests" / "delays" / "test_delays.mdl",
    SHARED / "mbse-samples" / "sysml1-papyrus" / "ElectricKettle.uml",
    SHARED / "mbse-samples" / "sysml1-papyrus-legacy" / "INCOSE.uml",
    SHARED / "mbse-samples" / "sysml2" / "VehicleDefinitions.sysml",
    SHARED / "mbse-samples" / "sysml1-cameo" / "CoffeeDispenser_MD19_native.xmi",
    SHARED / "mbse-samples" / "sysml1-cameo" / "CoffeeDispenser.mdzip",
    SHARED / "mbse-samples" / "archimate" / "archisurance.xml",
    SHARED / "mbse-samples" / "capella" / "In-Flight Entertainment System.capella",
    ROOT / "samples" / "water_tower" / "water_tower.uml",  # an executable architecture: SD behaviours beside it
]
WATER_TOWER_PARTS = ("tank.xmile", "pump.xmile", "controller.xmile")
INSERTS = [b"<", b">", b'"', b"(", b")", b"[", b"]", b"~", b"|", b":", b"\x00", b"1e309", b"-", b"/0", b"&",
           b"{", b"}", b"*", b"^", b"\xff\xfe", b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"xmi:id=\"x\""]
MUTATION = st.tuples(st.floats(0, 1), st.integers(0, 5), st.integers(1, 256), st.sampled_from(INSERTS))


def damaged_load(folder: Path, source: Path, data: bytes) -> None:
    target = folder / source.name
    target.write_bytes(data)
    survives(lambda: exercise(target))


def mutated(data: bytes, mutations: list[tuple[float, int, int, bytes]]) -> bytes:
    """``data`` with each mutation applied: a byte changed, a run deleted, a run repeated elsewhere,
    a syntax character inserted, the rest cut off, or two bytes swapped."""
    buffer = bytearray(data)
    for where, operation, width, insert in mutations:
        if not buffer:
            break
        at = int(where * (len(buffer) - 1))
        if operation == 0:
            buffer[at] = width % 256
        elif operation == 1:
            del buffer[at:at + width]
        elif operation == 2:
            buffer[at:at] = buffer[(at * 7 + width) % len(buffer):][:width]
        elif operation == 3:
            buffer[at:at] = insert
        elif operation == 4:
            del buffer[at:]
        else:
            other = (at + width) % len(buffer)
            buffer[at], buffer[other] = buffer[other], buffer[at]
    return bytes(buffer)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for part in WATER_TOWER_PARTS:
        shutil.copy(ROOT / "samples" / "water_tower" / part, tmp_path / part)
    return tmp_path


@pytest.mark.parametrize("source", FILES, ids=[f.name for f in FILES])
@fuzz_settings(20)
@given(cut=st.floats(0, 1), hole=st.floats(0, 1), width=st.integers(1, 200))
def test_truncated_or_holed_files_never_escape(folder: Path, source: Path, cut: float, hole: float,
                                                width: int) -> None:
    data = source.read_bytes()
    damaged_load(folder, source, data[: int(len(data) * cut)])
    start = int(len(data) * hole)
    damaged_load(folder, source, data[:start] + data[start + width:])


@pytest.mark.parametrize("source", FILES, ids=[f.name for f in FILES])
@fuzz_settings(30)
@given(mutations=st.lists(MUTATION, min_size=1, max_size=8))
def test_mutated_files_never_escape(folder: Path, source: Path,
                                    mutations: list[tuple[float, int, int, bytes]]) -> None:
    damaged_load(folder, source, mutated(source.read_bytes(), mutations))


@fuzz_settings(30)
@given(mutations=st.lists(MUTATION, min_size=1, max_size=8))
def test_mutated_onnx_files_never_escape(tmp_path: Path, mutations: list[tuple[float, int, int, bytes]]) -> None:
    sample = ROOT / "samples" / "thermal_plant"
    data = mutated((sample / "controller.onnx").read_bytes(), mutations)
    plant = tmp_path
    (plant / "controller.onnx").write_bytes(data)
    document = json.loads((sample / "thermal_plant.salver").read_text(encoding="utf-8"))
    component = next(e for e in document["elements"].values() if e["kind"] == "neural")
    component["sha256"] = hashlib.sha256(data).hexdigest()  # the mutant is the file the model names
    (plant / "plant.salver").write_text(json.dumps(document), encoding="utf-8")
    survives(lambda: read_signature(plant / "controller.onnx"))
    survives(lambda: solvers.load(plant / "plant.salver").run(stop=2))
    clear_session_cache()


@pytest.fixture(scope="module")
def built_fmus() -> list[Path]:
    """An FMI 2.0 model-exchange-capable FMU with events and an FMI 3.0 one (built once into the cache)."""
    from tests.fmus import build

    return [build.build("BouncingBall", 2), build.build("Dahlquist", 3)]


def test_the_fuzzed_fmus_go_the_whole_way_unchanged(built_fmus: list[Path]) -> None:
    for source in built_fmus:
        exercise(source)


@fuzz_settings(30)
@given(mutations=st.lists(MUTATION, min_size=1, max_size=6), which=st.integers(0, 1), whole=st.booleans())
def test_mutated_fmus_never_escape(tmp_path: Path, built_fmus: list[Path], mutations: list[tuple[float, int, int,
                                   bytes]], which: int, whole: bool) -> None:
    """An FMU whose archive bytes, or whose modelDescription.xml inside an intact archive, are mutated:
    imported, checked, saved, exported, compiled and run, only a SalverError may come out."""
    source = built_fmus[which]
    target = tmp_path / source.name
    if whole:
        target.write_bytes(mutated(source.read_bytes(), mutations))
    else:
        with zipfile.ZipFile(source) as archive:
            entries = {info.filename: archive.read(info) for info in archive.infolist()}
        entries["modelDescription.xml"] = mutated(entries["modelDescription.xml"], mutations)
        with zipfile.ZipFile(target, "w") as archive:
            for name, content in entries.items():
                archive.writestr(name, content)
    survives(lambda: exercise(target))


def test_an_fmu_whose_compressed_data_is_damaged_is_a_parse_error(tmp_path: Path, built_fmus: list[Path]) -> None:
    """Inflating a damaged deflate stream raises zlib.error, which is neither an OSError nor a ValueError."""
    target = tmp_path / "damaged.fmu"
    with zipfile.ZipFile(built_fmus[0]) as archive, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            out.writestr(info.filename, archive.read(info))
    data = bytearray(target.read_bytes())
    start = data.index(b"modelDescription.xml") + len("modelDescription.xml")  # the entry's compressed data
    data[start + 40:start + 48] = b"\xff" * 8
    target.write_bytes(bytes(data))
    with pytest.raises(ParseError, match="damaged archive entry"):
        importers.load(target)


@pytest.mark.parametrize("source", FILES, ids=[f.name for f in FILES])
def test_every_undamaged_file_saves_and_exports(folder: Path, source: Path) -> None:
    """The undamaged files import, and their models save as .salver, open again the same and export
    to XMILE: the mutants of a file that could not would all stop there."""
    target = folder / source.name
    shutil.copy(source, target)
    model, _ = importers.load(target)
    assert io.from_dict(json.loads(io.dumps(model)), source=str(target)).equal_content(model)
    xmile_writer.dumps(model)


def test_every_listed_file_exists() -> None:
    assert [f for f in FILES if not f.is_file()] == []
