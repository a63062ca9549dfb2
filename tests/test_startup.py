"""Start-up: each command imports only what it uses, so that ``salver run`` starts at once.

Each case runs the command in a fresh interpreter and lists the modules it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.paths import ROOT, SD_MODELS

HEAVY = ("sympy", "scipy", "networkx", "cffi", "pandas", "pyarrow", "PySide6", "fastapi", "onnxruntime", "lxml")
_PROBE = ("import json, sys\n"
          "from app.cli import main\n"
          "sys.argv = ['salver', *json.loads(sys.argv[1])]\n"
          "try:\n"
          "    code = main()\n"
          "except SystemExit as stop:\n"
          "    code = stop.code\n"
          "sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)) + '\\n')\n"
          "sys.exit(code)\n")


def loaded_modules(*args: str) -> set[str]:
    """Modules loaded by ``salver ARGS`` in a fresh interpreter (it must exit 0)."""
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    listing = done.stderr.rsplit("MODULES ", 1)[1]
    return set(json.loads(listing))


def heavy_among(modules: set[str], names: tuple[str, ...] = HEAVY) -> set[str]:
    return {m for m in modules if m.split(".")[0] in names}


@pytest.mark.parametrize("path", [ROOT / "samples" / "sir.salver", SD_MODELS / "samples" / "teacup" / "teacup.xmile"],
                         ids=["salver", "xmile"])
def test_running_a_small_model_imports_no_sympy_scipy_or_checks(path, tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "run.csv"
    modules = loaded_modules("run", str(path), "--out", str(out))
    assert out.read_text().startswith("time,")
    assert heavy_among(modules, tuple(n for n in HEAVY if n != "lxml")) == set()
    assert not {m for m in modules if m.startswith("metamodel.validation.") and m.endswith("_rules")}


def test_help_imports_no_numpy_and_no_engine() -> None:
    modules = loaded_modules("--help")
    assert heavy_among(modules, (*HEAVY, "numpy")) == set()
    assert not {m for m in modules if m.split(".")[0] in ("solvers", "importers")}


def test_an_adaptive_method_loads_scipy_only_when_asked(tmp_path) -> None:  # noqa: ANN001 - pytest fixture
    out = tmp_path / "run.csv"
    modules = loaded_modules("run", str(ROOT / "samples" / "sir.salver"), "--method", "rk45", "--out", str(out))
    assert "scipy.integrate" in modules and heavy_among(modules, ("sympy",)) == set()
