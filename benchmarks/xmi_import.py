"""Benchmark: import and check a generated SysML XMI file of about 90 MB (490,000 model elements).

Run: ``.venv/bin/python benchmarks/xmi_import.py [ELEMENTS]``. Prints the file size, the seconds spent
importing and checking, the peak memory of the process, and the floor measured in the same run: a bare
lxml parse of the same file, the least any tree-based importer spends. Targets: import and checks in at
most 5 s with at most 500 MB peak memory; the ratio to the floor is what compares across machines.
The exit status is 0 either way: the figures are the result.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

import importers
from metamodel.validation import run_rules

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
    out: list[str] = [HEADER]
    apps: list[str] = []
    for n in range(groups):
        write_block(out, apps, n)
    out.append("</uml:Model>\n")
    out.extend(apps)
    out.append("</xmi:XMI>\n")
    path.write_text("\n".join(out), encoding="utf-8")
    return groups * 2


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main(elements: int = 490_000) -> float:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.uml"
        generate(path, elements)
        size = path.stat().st_size
        before = _peak_mb()
        start = time.perf_counter()
        model, report = importers.load(path)
        imported = time.perf_counter()
        diagnostics = run_rules(model, ["architecture"])
        done = time.perf_counter()
        peak = _peak_mb()
        del model, report, diagnostics
        floor_start = time.perf_counter()
        etree.parse(str(path))  # the floor, after the import so that it does not raise the peak measured
        floor = time.perf_counter() - floor_start
    total = done - start
    print(f"{size / 1e6:.1f} MB XMI: import {imported - start:.2f} s, checks {done - imported:.2f} s, "
          f"total {total:.2f} s (target {TARGET_SECONDS:g} s); peak memory {peak:.0f} MB "
          f"({before:.0f} MB before the import; target {TARGET_MB:g} MB); "
          f"floor: bare lxml parse {floor:.2f} s, ratio {total / floor:.1f}x")
    return total


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 490_000)
