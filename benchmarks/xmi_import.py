"""Benchmark: import and check a generated SysML XMI file of about 90 MB (490,000 model elements).

Run: ``.venv/bin/python benchmarks/xmi_import.py [--elements 490000]``. The import and the checks run in
a fresh process (what they import on first use is loaded before the clock starts), and so does the
floor: a bare lxml parse of the same file, the least any tree-based importer spends, and a bare
streaming pass (``iterparse``), the least a streaming reader spends. Printed: the file size, wall-clock
and CPU seconds of import and checks, the peak memory of the measuring process, and the CPU ratios to
both floors (on a shared machine the CPU figures are the ones that do not count the neighbours). Cost
should grow linearly: the same is measured on a quarter and a half of the model and the growth of CPU
time per element is printed. Targets, for the full model: import and checks in at most 5 s (CPU) with
at most 500 MB peak memory; the last line says whether each is met. The exit status is 0 either way:
the figures are the result.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this tree's code, whatever the environment has installed

TARGET_SECONDS = 5.0
TARGET_MB = 500.0
HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n<xmi:XMI xmi:version="20131001" '
          'xmlns:xmi="http://www.omg.org/spec/XMI/20131001" xmlns:uml="http://www.eclipse.org/uml2/5.0.0/UML" '
          'xmlns:Blocks="http://www.eclipse.org/papyrus/sysml/1.6/SysML/Blocks" '
          'xmlns:PortsAndFlows="http://www.eclipse.org/papyrus/sysml/1.6/SysML/PortsAndFlows" '
          'xmlns:DeprecatedElements="http://www.eclipse.org/papyrus/sysml/1.6/SysML/DeprecatedElements">\n'
          '<uml:Model xmi:id="model" name="Generated">\n'
          '<packagedElement xmi:type="uml:DataType" xmi:id="flow" name="Flow"/>\n')


def write_block(out: list[str], apps: list[str], n: int) -> None:
    """One system block: a leaf block with an out port, and a block holding it as a part whose in port
    is delegated to the holder's out port: 2 blocks, 3 ports, 1 part, 1 connector, 1 item flow."""
    leaf, holder = f"L{n}", f"H{n}"
    out.append(f'<packagedElement xmi:type="uml:Class" xmi:id="{leaf}" name="Leaf {n}">'
               f'<ownedAttribute xmi:type="uml:Port" xmi:id="{leaf}o" name="out" type="flow" aggregation="composite"/>'
               f'</packagedElement>')
    out.append(f'<packagedElement xmi:type="uml:Class" xmi:id="{holder}" name="Holder {n}">'
               f'<ownedAttribute xmi:type="uml:Port" xmi:id="{holder}i" name="in" type="flow" aggregation="composite"/>'
               f'<ownedAttribute xmi:type="uml:Port" xmi:id="{holder}o" name="out" type="flow" '
               f'aggregation="composite"/>'
               f'<ownedAttribute xmi:id="{holder}p" name="leaf" type="{leaf}" aggregation="composite">'
               f'<lowerValue xmi:type="uml:LiteralInteger" xmi:id="{holder}l" value="1"/>'
               f'<upperValue xmi:type="uml:LiteralUnlimitedNatural" xmi:id="{holder}u" value="*"/></ownedAttribute>'
               f'<ownedConnector xmi:id="{holder}c" name="c"><end xmi:id="{holder}e1" role="{leaf}o" '
               f'partWithPort="{holder}p"/><end xmi:id="{holder}e2" role="{holder}o"/></ownedConnector>'
               f'</packagedElement>')
    out.append(f'<packagedElement xmi:type="uml:InformationFlow" xmi:id="{holder}f" name="f{n}" '
               f'informationSource="{leaf}o" informationTarget="{holder}o" conveyed="flow" '
               f'realizingConnector="{holder}c"/>')
    apps.append(f'<Blocks:Block xmi:id="{leaf}s" base_Class="{leaf}"/><Blocks:Block xmi:id="{holder}s" '
                f'base_Class="{holder}"/>')
    for port, direction in ((f"{leaf}o", "out"), (f"{holder}i", "in"), (f"{holder}o", "out")):
        apps.append(f'<DeprecatedElements:FlowPort xmi:id="{port}s" base_Port="{port}" direction="{direction}"/>')
    apps.append(f'<PortsAndFlows:ItemFlow xmi:id="{holder}fs" base_InformationFlow="{holder}f"/>')


def generate(path: Path, elements: int) -> int:
    """Write a model with about ``elements`` mapped elements; return how many blocks it has."""
    groups = max(1, elements // 8)  # 2 blocks, 3 ports, 1 part, 1 connector, 1 item flow per group
    apps: list[str] = []
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for start in range(0, groups, 1000):
            model: list[str] = []
            for n in range(start, min(groups, start + 1000)):
                write_block(model, apps, n)
            out.write("\n".join(model) + "\n")
        out.write("</uml:Model>\n")
        out.write("\n".join(apps) + "\n")
        out.write("</xmi:XMI>\n")
    return groups * 2


def _peak_mb() -> float:
    """The peak resident memory of this process (``VmHWM``: unlike ``ru_maxrss``, it does not start from
    the parent's size at the fork)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def measure(path: Path) -> dict[str, float]:
    """Import and check ``path`` in this process: seconds (wall clock and CPU) and memory in MB."""
    import importers
    from metamodel.validation import run_rules

    small = path.with_name("warm-up.uml")
    generate(small, 16)
    run_rules(importers.load(small)[0], ["architecture"])  # modules loaded on first use are not the model's cost
    before = _peak_mb()
    clocks = [(time.perf_counter(), time.process_time())]
    model, _ = importers.load(path)
    clocks.append((time.perf_counter(), time.process_time()))
    findings = run_rules(model, ["architecture"])
    clocks.append((time.perf_counter(), time.process_time()))
    if any(d.severity == "error" for d in findings):
        raise SystemExit(f"{path}: the generated model has errors: {findings[0].message}")
    (w0, c0), (w1, c1), (w2, c2) = clocks
    return {"import": w1 - w0, "checks": w2 - w1, "import_cpu": c1 - c0, "checks_cpu": c2 - c1,
            "elements": len(model.elements), "before_mb": before, "peak_mb": _peak_mb()}


def floor(path: Path) -> dict[str, float]:
    """A bare lxml parse of ``path`` in this process, in wall-clock and CPU seconds, and a bare streaming
    pass (``iterparse`` with start and end events, each element cleared once read): the least a streaming
    reader spends."""
    from lxml import etree

    wall, cpu = time.perf_counter(), time.process_time()
    etree.parse(str(path))
    found = {"floor": time.perf_counter() - wall, "floor_cpu": time.process_time() - cpu}
    wall, cpu = time.perf_counter(), time.process_time()
    for event, element in etree.iterparse(str(path), events=("start", "end")):
        if event == "end":
            element.clear()
    return {**found, "stream": time.perf_counter() - wall, "stream_cpu": time.process_time() - cpu}


def _fresh(mode: str, path: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, mode, str(path)], check=True, capture_output=True, text=True,
                         cwd=ROOT).stdout
    return json.loads(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=490_000, help="model elements, default 490000")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--floor", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure or args.floor:
        print(json.dumps(measure(Path(args.measure)) if args.measure else floor(Path(args.floor))))
        return 0
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        for elements in (args.elements // 4, args.elements // 2, args.elements):
            path = Path(folder) / f"generated_{elements}.uml"
            generate(path, elements)
            row = rows[elements] = {"mb": path.stat().st_size / 1e6, **_fresh("--measure", path),
                                    **_fresh("--floor", path)}
            total, total_cpu = row["import"] + row["checks"], row["import_cpu"] + row["checks_cpu"]
            print(f"{row['mb']:.1f} MB XMI, {row['elements']:.0f} elements: import {row['import']:.2f} s "
                  f"({row['import_cpu']:.2f} s CPU), checks {row['checks']:.2f} s ({row['checks_cpu']:.2f} s CPU), "
                  f"total {total:.2f} s ({total_cpu:.2f} s CPU; target {TARGET_SECONDS:g} s); "
                  f"peak memory {row['peak_mb']:.0f} MB ({row['before_mb']:.0f} MB before the import; "
                  f"target {TARGET_MB:g} MB); floor: bare lxml parse {row['floor']:.2f} s "
                  f"({row['floor_cpu']:.2f} s CPU), CPU ratio {total_cpu / row['floor_cpu']:.1f}x; bare "
                  f"iterparse {row['stream']:.2f} s ({row['stream_cpu']:.2f} s CPU), CPU ratio "
                  f"{total_cpu / row['stream_cpu']:.1f}x")
    small, large = rows[args.elements // 4], rows[args.elements]
    per = {key: (large[f"{key}_cpu"] / large["elements"]) / (small[f"{key}_cpu"] / small["elements"])
           for key in ("import", "checks")}
    print(f"growth of CPU time per element from {small['elements']:.0f} to {large['elements']:.0f} elements: "
          f"import x{per['import']:.2f}, checks x{per['checks']:.2f} (linear: x1)")
    total_cpu = large["import_cpu"] + large["checks_cpu"]
    print(f"targets at {large['elements']:.0f} elements: time {total_cpu:.2f} s CPU <= {TARGET_SECONDS:g} s "
          f"{_verdict(total_cpu <= TARGET_SECONDS)} ({total_cpu / TARGET_SECONDS:.1f}x the target); peak memory "
          f"{large['peak_mb']:.0f} MB <= {TARGET_MB:g} MB {_verdict(large['peak_mb'] <= TARGET_MB)} "
          f"({large['peak_mb'] / TARGET_MB:.1f}x the target)")
    return 0


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


if __name__ == "__main__":
    sys.exit(main())
