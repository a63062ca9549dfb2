"""``kill -9`` during a save never leaves a damaged or missing file, for every writer.

A child process saves two versions of a file in turn, as fast as it can; the test kills it at a random
moment, many times, and then reads the file: it must be one of the two versions, whole. Temporary files
the killed saves leave are swept by the next save.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from metamodel import atomic, io
from metamodel.elements import Aux, Flow, Stock
from metamodel.model import Model
from solvers.results import Results
from tests.bad_input import scaled
from tests.paths import ROOT

KILLS = scaled(10)


def big_model(version: int) -> Model:
    """A model whose files take a while to write; ``version`` changes every equation."""
    model = Model(name=f"big {version}")
    model.add(Stock("level", "Level", equation="1", inflows=["fill"]))
    model.add(Flow("fill", "Fill", equation=f"{version} + a0"))
    for index in range(2500):
        model.add(Aux(f"a{index}", f"a{index}", equation=f"{version} * {index}", doc="documentation " * 4))
    return model


def big_results(version: int) -> Results:
    time_points = np.linspace(0, 1, 2000)
    data = {f"v{i}": np.full((2000, 3), float(version * 1000 + i)) for i in range(20)}
    return Results(time_points, data, runs=3)


def _salver(path: Path, version: int) -> None:
    io.save(big_model(version), path)


def _xmile(path: Path, version: int) -> None:
    from importers import xmile_writer

    xmile_writer.save(big_model(version), path)


def _csv(path: Path, version: int) -> None:
    big_results(version).to_csv(path)


def _sweep_csv(path: Path, version: int) -> None:
    from app.cli import _write_sweep_csv

    _write_sweep_csv(big_results(version), "rate", np.array([1.0, 2.0, 3.0]), str(path))


def _sarif(path: Path, version: int) -> None:  # the check command writes its SARIF report this way
    atomic.write_text(path, json.dumps({"version": version, "runs": [{"results": list(range(200_000))}]}))


WRITERS: dict[str, tuple[Callable[[Path, int], None], str]] = {
    "salver": (_salver, "m.salver"), "xmile": (_xmile, "m.xmile"), "results csv": (_csv, "r.csv"),
    "sweep csv": (_sweep_csv, "s.csv"), "sarif": (_sarif, "report.sarif"),
}


def _save_forever(writer: Callable[[Path, int], None], path: Path) -> None:
    version = 0
    while True:
        version = 1 - version
        writer(path, version)


def _versions(writer: Callable[[Path, int], None], folder: Path, name: str) -> tuple[bytes, bytes]:
    reference = folder / "reference"
    reference.mkdir()
    texts = []
    for version in (0, 1):
        writer(reference / name, version)
        texts.append((reference / name).read_bytes())
    return texts[0], texts[1]


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".salver-tmp" in p.name)


@pytest.mark.parametrize("kind", list(WRITERS))
def test_kill_during_save_leaves_a_whole_file(tmp_path: Path, kind: str) -> None:
    writer, name = WRITERS[kind]
    first, second = _versions(writer, tmp_path, name)
    target = tmp_path / name
    writer(target, 0)
    started = time.perf_counter()
    writer(target, 1)
    one_save = time.perf_counter() - started
    context = multiprocessing.get_context("fork")
    rng = random.Random(kind)
    for _ in range(KILLS):
        child = context.Process(target=_save_forever, args=(writer, target), daemon=True)
        child.start()
        time.sleep(rng.uniform(0.2, 2.5) * one_save)
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join()
        assert target.read_bytes() in (first, second), f"{kind}: damaged after a kill"
    writer(target, 0)  # the next save sweeps what the killed ones left
    assert _temporaries(tmp_path) == []
    assert target.read_bytes() == first


def test_kill_during_plot_save_leaves_a_whole_png(tmp_path: Path) -> None:
    """The plot writer (Qt) in its own interpreter, killed a few times while it saves again and again."""
    target = tmp_path / "p.png"
    script = "\n".join(["import sys", "import numpy as np", "from app.plotting import save_plot",
                        "from solvers.results import Results",
                        "r = Results(np.linspace(0, 1, 50), {'x': np.ones((50, 1))})", "save_plot(r, sys.argv[1])",
                        "print('ready', flush=True)",
                        "while True:", "    save_plot(r, sys.argv[1])"])
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    rng = random.Random(7)
    for _ in range(scaled(4)):
        child = subprocess.Popen([sys.executable, "-c", script, str(target)], cwd=ROOT, env=environment,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.3, 1.5))
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "the plot is damaged after a kill"
    atomic.write_bytes(target, target.read_bytes())  # a save of the same name sweeps the killed saves' leftovers
    assert _temporaries(tmp_path) == []


def _write_forever(path: Path, texts: tuple[str, str]) -> None:
    version = 0
    while True:
        version = 1 - version
        atomic.write_text(path, texts[version])


def test_kill_in_the_middle_of_writing_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    """Killed while the bytes go out (not while a model is turned into text): the case that emptied
    files written in place."""
    texts = ("a" * 4_000_000 + "\n", "b" * 4_000_000 + "\n")
    target = tmp_path / "m.salver"
    atomic.write_text(target, texts[0])
    context = multiprocessing.get_context("fork")
    rng = random.Random(3)
    interrupted = 0
    for _ in range(scaled(30)):
        child = context.Process(target=_write_forever, args=(target, texts), daemon=True)
        child.start()
        time.sleep(rng.uniform(0.005, 0.05))
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join()
        assert target.read_text() in texts
        interrupted += bool(_temporaries(tmp_path))
    assert interrupted > 0  # some kills did land mid-write
    atomic.write_text(target, texts[1])
    assert _temporaries(tmp_path) == [] and target.read_text() == texts[1]


def test_saving_through_a_link_keeps_the_link_and_the_permissions(tmp_path: Path) -> None:
    real = tmp_path / "real" / "m.salver"
    real.parent.mkdir()
    io.save(big_model(0), real)
    real.chmod(0o640)
    link = tmp_path / "m.salver"
    link.symlink_to(real)
    io.save(big_model(1), link)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert io.load(real).name == "big 1" and real.stat().st_mode & 0o777 == 0o640
    assert _temporaries(real.parent) == [] and _temporaries(tmp_path) == []


def test_a_failed_save_removes_its_temporary_and_keeps_the_file(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from metamodel.errors import SalverError, SaveError

    target = tmp_path / "r.csv"
    big_results(0).to_csv(target)
    before = target.read_bytes()

    def full_disk(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(SaveError, match="No space left on device") as info:
        big_results(1).to_csv(target)
    assert isinstance(info.value, SalverError) and isinstance(info.value, OSError)
    assert target.read_bytes() == before and _temporaries(tmp_path) == []


def test_a_save_into_a_missing_folder_is_a_save_error(tmp_path: Path) -> None:
    from metamodel.errors import SaveError

    with pytest.raises(SaveError, match="cannot save"):
        io.save(big_model(0), tmp_path / "missing" / "m.salver")
