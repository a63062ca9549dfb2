"""The byte-code cache of big generated Python programs: read back in a fresh compile, never trusted blindly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import solvers
from metamodel.elements import Aux, Flow, SimSpec, Stock
from metamodel.model import Model
from solvers import cache


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SALVER_CACHE_DIR", str(tmp_path))
    return tmp_path / "python"


def chain(size: int) -> Model:
    """``size`` stocks in a row, each draining into the next."""
    model = Model(name=f"chain_{size}", sim_spec=SimSpec(start=0, stop=5, dt=0.25, method="euler"))
    for i in range(1, size + 1):
        model.add(Stock(f"stock_{i}", f"Stock {i}", equation="100" if i == 1 else "0",
                        inflows=[f"flow_{i - 1}"] if i > 1 else [], outflows=[f"flow_{i}"]))
        model.add(Aux(f"rate_{i}", f"Rate {i}", equation=f"{0.05 + 0.01 * (i % 10):g}"))
        model.add(Flow(f"flow_{i}", f"Flow {i}", equation=f"Rate_{i} * Stock_{i}"))
    return model


def big_program(size: int = 900) -> str:
    program = solvers.compile(chain(size)).programs.python(False).source
    assert len(program) >= cache.MIN_CACHED_CHARS  # the model is big enough to be cached
    return program


def test_big_program_is_read_back_without_compiling(private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = big_program()
    first = cache.byte_code(source, "<salver-model-scalar>")
    assert len(list(private_cache.glob("*.bin"))) == 1

    def no_compiler(*args: object) -> None:
        raise AssertionError("compiled again although cached")

    monkeypatch.setattr(cache, "compile", no_compiler, raising=False)
    again = cache.byte_code(source, "<salver-model-scalar>")
    assert again.co_filename == first.co_filename == "<salver-model-scalar>"
    assert again == first


def test_runs_from_the_cache_give_the_numbers_of_a_fresh_compile(private_cache: Path) -> None:
    model = chain(900)
    fresh = solvers.compile(model).run(backend="python")
    assert list(private_cache.glob("*.bin"))
    cached = solvers.compile(model).run(backend="python")
    assert cached.names == fresh.names
    for name in fresh.names:
        np.testing.assert_array_equal(cached[name], fresh[name])
    assert fresh["Stock 10"][-1, 0] > 0  # the chain carried its stock along


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", b"\xe3not marshal at all"])
def test_a_damaged_entry_is_compiled_again(private_cache: Path, damage: bytes) -> None:
    source = big_program()
    cache.byte_code(source, "<salver-model-scalar>")
    (entry,) = private_cache.glob("*.bin")
    entry.write_bytes(damage)
    code = cache.byte_code(source, "<salver-model-scalar>")
    assert code == compile(source, "<salver-model-scalar>", "exec")
    assert entry.read_bytes() != damage  # written again whole


def test_a_different_program_is_not_taken_for_a_cached_one(private_cache: Path) -> None:
    source = big_program()
    cache.byte_code(source, "<salver-model-scalar>")
    changed = source + "\n_CHANGED = 1\n"
    assert cache.byte_code(changed, "<salver-model-scalar>") == compile(changed, "<salver-model-scalar>", "exec")
    assert len(list(private_cache.glob("*.bin"))) == 2


def test_small_programs_and_an_unwritable_folder_still_compile(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    small = solvers.compile(chain(3)).programs.python(False).source
    assert cache.byte_code(small, "<salver-model-scalar>") == compile(small, "<salver-model-scalar>", "exec")
    assert not (tmp_path / "python").exists()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SALVER_CACHE_DIR", str(blocker))
    source = big_program()
    assert cache.byte_code(source, "<salver-model-scalar>") == compile(source, "<salver-model-scalar>", "exec")


def test_the_folder_keeps_the_programs_used_last(private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setattr(cache, "MAX_CACHED_PROGRAMS", 2)
    base = big_program()
    first, second, third = (base + f"\n_EDIT = {i}\n" for i in range(3))
    cache.byte_code(first, "<salver-model-scalar>")
    (first_entry,) = private_cache.glob("*.bin")
    cache.byte_code(second, "<salver-model-scalar>")
    (second_entry,) = set(private_cache.glob("*.bin")) - {first_entry}
    os.utime(first_entry, ns=(10**18, 10**18))  # both long unused, the first the longest
    os.utime(second_entry, ns=(10**18 + 1, 10**18 + 1))
    cache.byte_code(first, "<salver-model-scalar>")  # used again: now the newest
    cache.byte_code(third, "<salver-model-scalar>")
    kept = set(private_cache.glob("*.bin"))
    assert len(kept) == 2 and first_entry in kept and second_entry not in kept
