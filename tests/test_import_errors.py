"""An import that reported errors (a dropped element, an equation replaced by the placeholder 0) is never
run silently: ``run``, ``validate``, ``check``, ``convert`` exit 1, ``solvers.load`` raises, and
``--allow-placeholders`` / ``allow_placeholders=True`` opt in with a warning for each placeholder."""

from __future__ import annotations

from pathlib import Path

import pytest

import solvers
from app.cli import main
from importers.report import IncompleteImport, PlaceholderWarning

CONTROL = """INITIAL TIME = 0 ~ ~ |
FINAL TIME = 2 ~ ~ |
TIME STEP = 1 ~ ~ |
SAVEPER = TIME STEP ~ ~ |
"""


@pytest.fixture(params=["unknown function", "missing data file", "data file outside the folder"])
def broken(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    """A Vensim model with one equation the importer had to replace by 0, and the name of its variable."""
    folder = tmp_path / "model"
    folder.mkdir()
    (tmp_path / "outside.csv").write_text("time,1\nx,5\n", encoding="utf-8")
    equation = {"unknown function": "FOOBAR(3)",
                "missing data file": "GET DIRECT CONSTANTS('missing.csv', ',', 'B2')",
                "data file outside the folder": "GET DIRECT CONSTANTS('../outside.csv', ',', 'B2')"}[request.param]
    path = folder / "broken.mdl"
    path.write_text(f"{{UTF-8}}\nrate = {equation} ~ ~ |\nlevel = INTEG(rate, 1) ~ ~ |\n{CONTROL}",
                    encoding="utf-8")
    return path, "rate"


def test_run_refuses_a_placeholder_and_names_it(broken: tuple[Path, str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path, name = broken
    assert main(["run", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"line 2, {name}:" in captured.err and "placeholder" in captured.err


def test_allow_placeholders_runs_loudly(broken: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    path, name = broken
    assert main(["run", str(path), "--allow-placeholders"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("time,")
    assert f"warning: {path}: placeholder in use: error: line 2, {name}:" in captured.err


def test_validate_and_check_count_import_errors(broken: tuple[Path, str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path, name = broken
    assert main(["validate", str(path)]) == 1
    assert f"error IMP001 [{name}]: line 2:" in capsys.readouterr().out
    assert main(["check", str(path)]) == 1
    assert f"error IMP001 [{name}]" in capsys.readouterr().out
    assert main(["validate", str(path), "--allow-placeholders"]) == 0
    assert f"warning IMP001 [{name}]" in capsys.readouterr().out
    assert main(["check", str(path), "--allow-placeholders"]) == 0


def test_convert_writes_nothing_from_a_placeholder(broken: tuple[Path, str], tmp_path: Path) -> None:
    path, _ = broken
    target = tmp_path / "out.salver"
    assert main(["convert", str(path), str(target)]) == 1
    assert not target.exists()
    assert main(["convert", str(path), str(target), "--allow-placeholders"]) == 0
    assert target.is_file()


def test_python_api_refuses_unless_allowed(broken: tuple[Path, str]) -> None:
    path, name = broken
    with pytest.raises(IncompleteImport, match="placeholder") as info:
        solvers.load(path)
    assert [entry.element for entry in info.value.diagnostics] == [name]
    with pytest.warns(PlaceholderWarning, match=name):
        results = solvers.simulate(path, allow_placeholders=True)
    assert results["level"][-1, 0] == 1.0  # the placeholder 0 as the rate: visible, and opted into


def test_a_clean_import_needs_no_opt_in(tmp_path: Path) -> None:
    path = tmp_path / "clean.mdl"
    path.write_text(f"{{UTF-8}}\nrate = 2 ~ ~ |\nlevel = INTEG(rate, 1) ~ ~ |\n{CONTROL}", encoding="utf-8")
    assert solvers.simulate(path)["level"][-1, 0] == 5.0
    assert main(["validate", str(path)]) == 0


def test_the_server_refuses_to_run_a_placeholder(broken: tuple[Path, str], tmp_path: Path) -> None:
    import anyio
    import httpx

    from app.server.app import create_app

    path, name = broken
    repo = tmp_path / "repo"
    (repo / "broken" / "1").mkdir(parents=True)
    (repo / "broken" / "1" / "broken.mdl").write_bytes(path.read_bytes())

    async def ask() -> tuple[httpx.Response, httpx.Response]:
        app = create_app(repo)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://salver") as client:
                infer = await client.post("/v2/models/broken/infer", json={"inputs": []})
                validation = await client.post("/v2/models/broken/validate")
                return infer, validation

    infer, validation = anyio.run(ask)
    assert infer.status_code == 400 and "placeholder" in infer.json()["error"]
    report = validation.json()
    assert report["valid"] is False
    assert any(d["code"] == "IMP001" and d["element"] == name for d in report["diagnostics"])
