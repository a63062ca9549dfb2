"""Damaged foreign files: every importer answers with a model and a report, or a SalverError.

Real files from the shared samples are truncated and cut at random places; nothing else may escape.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importers import load
from metamodel.errors import SalverError
from tests.paths import SHARED

FILES = [
    SHARED / "sd-test-models" / "samples" / "teacup" / "teacup.xmile",
    SHARED / "sd-test-models" / "tests" / "subscript_aggregation" / "test_subscript_aggregation.mdl",
    SHARED / "sd-test-models" / "tests" / "get_lookups_data_3d_xls" / "test_get_lookups_data_3d_xls.mdl",
    SHARED / "sd-test-models" / "tests" / "macro_stock" / "test_macro_stock.mdl",
    SHARED / "sd-test-models" / "tests" / "delays" / "test_delays.mdl",
    SHARED / "mbse-samples" / "sysml1-papyrus" / "ElectricKettle.uml",
    SHARED / "mbse-samples" / "sysml2" / "VehicleDefinitions.sysml",
    SHARED / "mbse-samples" / "sysml1-cameo" / "CoffeeDispenser_MD19_native.xmi",
    SHARED / "mbse-samples" / "archimate" / "archisurance.xml",
]


def damaged_load(tmp_path: Path, source: Path, data: bytes) -> None:
    target = tmp_path / source.name
    target.write_bytes(data)
    with contextlib.suppress(SalverError):
        load(target)


@pytest.mark.parametrize("source", FILES, ids=[f.name for f in FILES])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.floats(0, 1), hole=st.floats(0, 1), width=st.integers(1, 200))
def test_truncated_or_holed_files_never_escape(tmp_path: Path, source: Path, cut: float, hole: float,
                                                width: int) -> None:
    data = source.read_bytes()
    damaged_load(tmp_path, source, data[: int(len(data) * cut)])
    start = int(len(data) * hole)
    damaged_load(tmp_path, source, data[:start] + data[start + width:])


def test_every_listed_file_exists() -> None:
    assert [f for f in FILES if not f.is_file()] == []
