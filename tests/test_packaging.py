"""Packaging: the library installs and imports without Qt or the HTTP stack; installs come from the lock."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from tests.paths import ROOT

FRONT_END_PACKAGES = ("PySide6", "shiboken6", "pyqtgraph", "fastapi", "starlette", "uvicorn", "grpc")


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_importing_the_library_loads_no_qt_and_no_http_stack():
    code = ("import sys, metamodel, solvers, importers; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({FRONT_END_PACKAGES!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_core_dependencies_leave_qt_and_http_to_extras():
    project = _project()
    core = " ".join(project["dependencies"]).casefold()
    assert not any(name.casefold() in core for name in ("PySide6", "pyqtgraph", "fastapi", "uvicorn"))
    extras = project["optional-dependencies"]
    assert any(dep.startswith("PySide6") for dep in extras["gui"])
    assert any(dep.startswith("fastapi") for dep in extras["serve"])
    assert {"gui", "serve"} <= set(re.findall(r"\w+", extras["all"][0].split("[", 1)[1]))


def test_every_locked_requirement_is_pinned_with_hashes():
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[a-z0-9])", lock.split("\n", 1)[1].strip(), flags=re.IGNORECASE)
    requirements = [e for e in entries if not e.lstrip().startswith("#")]
    assert len(requirements) > 50
    for entry in requirements:
        assert re.match(r"[\w.-]+(\[[\w,]+\])?==[\w.+]+", entry), entry.splitlines()[0]
        assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_pyside6_is_held_below_the_release_that_drops_references_to_none():
    gui = " ".join(_project()["optional-dependencies"]["gui"])
    assert "<6.12" in gui
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    version = re.search(r"^pyside6-essentials==([\d.]+)", lock, flags=re.MULTILINE | re.IGNORECASE).group(1)
    assert tuple(map(int, version.split("."))) < (6, 12)
