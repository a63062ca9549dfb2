"""Requirements verified by simulation: SysML 1 blocks' conditions, SysML v2 requirements, the verify
command (text, JSON, SARIF, exit status) and the server's verify endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

import solvers
from app.cli import main
from solvers.verify import verify
from tests.sysml_models import block, connector, constraint, papyrus, part, stereotype, value, write


def heater(tmp_path: Path) -> Path:
    """temperature starts at 20 and rises by power / (c * mass) * dt = 2000 / (1000 * 1) = 2 per second;
    the block satisfying MaxTemp owns 'temperature <= 100': first broken at t = 41 with 102."""
    values = [value("t", "temperature", "20"), value("p", "power", "2000"), value("c", "c", "1000"),
              value("m", "mass", "1"), part("step", "step", "Step"), constraint("limit", "temperature <= 100")]
    pairs = [("t", "S_in"), ("t", "S_out"), ("p", "S_p"), ("c", "S_c"), ("m", "S_m")]
    bindings = [connector(f"b{n}", (a, None), (b, "step")) for n, (a, b) in enumerate(pairs)]
    step = block("Step", "Step", constraint("S_c1", "t_out = t_in + p / (c * m) * dt"),
                 *(value(f"S_{k}", n) for k, n in (("in", "t_in"), ("out", "t_out"), ("p", "p"), ("c", "c"),
                                                   ("m", "m"))))
    requirement = '    <packagedElement xmi:type="uml:Class" xmi:id="R1" name="MaxTemp"/>'
    satisfy = '    <packagedElement xmi:type="uml:Abstraction" xmi:id="sat" client="Heater" supplier="R1"/>'
    unchecked = '    <packagedElement xmi:type="uml:Class" xmi:id="R2" name="Quiet"/>'
    stereotypes = [stereotype("Blocks:Block", "Heater", "s1"),
                   stereotype("ConstraintBlocks:ConstraintBlock", "Step", "s2"),
                   stereotype("Requirements:Requirement", "R1", "s3", id="REQ-1", text="At most 100 degrees."),
                   stereotype("Requirements:Requirement", "R2", "s4", id="REQ-2", text="Quiet."),
                   stereotype("Requirements:Satisfy", "sat", "s5")]
    elements = [block("Heater", "Heater", *values, *bindings), step, requirement, satisfy, unchecked]
    return write(tmp_path, "heater.uml", papyrus("heater", elements, stereotypes))


def test_requirement_satisfied_by_a_block_with_a_condition_is_checked_over_time(tmp_path: Path) -> None:
    compiled = solvers.load(heater(tmp_path))
    verdicts = {v.req_id: v for v in verify(compiled, compiled.run(stop=60))}
    failed = verdicts["REQ-1"]
    assert failed.status == "fail" and failed.name == "MaxTemp"
    (check,) = failed.checks
    assert (check.condition, check.time, check.run, check.value) == ("temperature <= 100", 41.0, 0, 102.0)
    assert verdicts["REQ-2"].status == "not verified" and "no condition checks it" in verdicts["REQ-2"].reason
    passed = verify(compiled, compiled.run(stop=30))
    assert {v.req_id: v.status for v in passed}["REQ-1"] == "pass"


def test_verify_command_text_json_sarif_and_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = heater(tmp_path)
    assert main(["verify", str(path), "--stop", "60"]) == 1
    text = capsys.readouterr().out
    assert "FAIL          REQ-1 MaxTemp: 'temperature <= 100' on Heater is violated at time 41 (run 0): the left " \
           "side is 102" in text
    assert "0 passed, 1 failed, 1 not verified" in text
    assert main(["verify", str(path), "--stop", "60", "--set", "power=1000"]) == 0  # 20 + 1 * 60 = 80
    capsys.readouterr()
    sarif = tmp_path / "verify.sarif"
    assert main(["verify", str(path), "--stop", "60", "--json", "--sarif", str(sarif)]) == 1
    document = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in document["requirements"]] == ["fail", "not verified"]
    levels = [r["level"] for r in json.loads(sarif.read_text())["runs"][0]["results"]]
    assert levels == ["error", "warning"]


V2 = """package Plant {
    part def Pump { attribute flow : Real = 30; }
    requirement def FlowRequirement {
        attribute actual : Real;
        attribute required : Real;
        require constraint { actual >= required }
    }
    requirement minimumFlow : FlowRequirement {
        subject pump : Pump;
        :>> required = 25;
        :>> actual = pump.flow;
    }
    satisfy minimumFlow by Pump;
}
"""


def test_sysml2_require_constraint_is_checked_on_what_satisfies_it(tmp_path: Path) -> None:
    path = tmp_path / "plant.sysml"
    path.write_text(V2, encoding="utf-8")
    compiled = solvers.load(path)
    assert {v.name: v.status for v in verify(compiled, compiled.run())} == {"minimumFlow": "pass"}
    (verdict,) = verify(compiled, compiled.run(params={"flow": 20.0}))
    assert verdict.status == "fail" and verdict.checks[0].value == 20.0 and verdict.checks[0].instance == "Pump"


@pytest.mark.anyio
async def test_server_verifies_a_model_with_given_parameters(tmp_path: Path) -> None:
    from app.server.app import create_app

    (tmp_path / "plant" / "1").mkdir(parents=True)
    (tmp_path / "plant" / "1" / "plant.sysml").write_text(V2, encoding="utf-8")
    app = create_app(tmp_path)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://salver") as client:
            good = (await client.post("/v2/models/plant/verify")).json()
            assert [r["status"] for r in good["requirements"]] == ["pass"]
            bad = (await client.post("/v2/models/plant/verify", json={"parameters": {"flow": 10}})).json()
            assert bad["requirements"][0]["status"] == "fail" and bad["requirements"][0]["checks"][0]["value"] == 10
            wrong = await client.post("/v2/models/plant/verify", json={"parameters": {"nothing": 1}})
            assert wrong.status_code == 400 and "unknown parameter 'nothing'" in wrong.json()["error"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
