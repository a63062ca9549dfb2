"""Small SysML 1 XMI models written for tests, in the shapes Papyrus and Cameo save them.

Papyrus: constraint parameters are properties, stereotypes follow the model with ``base_*`` ids.
Cameo: constraint parameters are ports, references are child elements, nested connector ends carry
their ``propertyPath``. Each helper returns XML text; ``write`` puts a model in a file.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

PAPYRUS_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<xmi:XMI xmi:version="20131001" '
                'xmlns:xmi="http://www.omg.org/spec/XMI/20131001" xmlns:uml="http://www.eclipse.org/uml2/5.0.0/UML" '
                'xmlns:Blocks="http://www.eclipse.org/papyrus/sysml/1.6/SysML/Blocks" '
                'xmlns:ConstraintBlocks="http://www.eclipse.org/papyrus/sysml/1.6/SysML/ConstraintBlocks" '
                'xmlns:PortsAndFlows="http://www.eclipse.org/papyrus/sysml/1.6/SysML/PortsAndFlows" '
                'xmlns:DeprecatedElements="http://www.eclipse.org/papyrus/sysml/1.6/SysML/DeprecatedElements" '
                'xmlns:Requirements="http://www.eclipse.org/papyrus/sysml/1.6/SysML/Requirements">\n'
                '  <uml:Model xmi:id="model" name="{name}">\n')
CAMEO_HEAD = ("<?xml version='1.0' encoding='UTF-8'?>\n<xmi:XMI xmlns:xmi='http://www.omg.org/spec/XMI/20131001' "
              "xmlns:uml='http://www.omg.org/spec/UML/20131001' xmlns:sysml='http://www.omg.org/spec/SysML/20150709/SysML'>\n"
              "  <uml:Model xmi:type='uml:Model' xmi:id='model' name='{name}'>\n")


def papyrus(name: str, elements: list[str], stereotypes: list[str]) -> str:
    return PAPYRUS_HEAD.format(name=name) + "\n".join(elements) + "\n  </uml:Model>\n" + "\n".join(stereotypes) + \
        "\n</xmi:XMI>\n"


def cameo(name: str, elements: list[str], stereotypes: list[str]) -> str:
    return CAMEO_HEAD.format(name=name) + "\n".join(elements) + "\n  </uml:Model>\n" + "\n".join(stereotypes) + \
        "\n</xmi:XMI>\n"


def block(element_id: str, name: str, *members: str) -> str:
    return (f'    <packagedElement xmi:type="uml:Class" xmi:id="{element_id}" name={quoteattr(name)}>\n'
            + "\n".join(members) + "\n    </packagedElement>")


def value(element_id: str, name: str, default: str | None = None, kind: str = "LiteralReal") -> str:
    inner = ""
    if default is not None:
        inner = f'<defaultValue xmi:type="uml:{kind}" xmi:id="{element_id}_d" value={quoteattr(default)}/>'
    return f'      <ownedAttribute xmi:type="uml:Property" xmi:id="{element_id}" name={quoteattr(name)}>{inner}' \
           '</ownedAttribute>'


def part(element_id: str, name: str, type_id: str) -> str:
    return f'      <ownedAttribute xmi:type="uml:Property" xmi:id="{element_id}" name={quoteattr(name)} ' \
           f'type="{type_id}" aggregation="composite"/>'


def port(element_id: str, name: str, type_id: str | None = None) -> str:
    typed = f' type="{type_id}"' if type_id else ""
    return f'      <ownedAttribute xmi:type="uml:Port" xmi:id="{element_id}" name={quoteattr(name)}{typed} ' \
           'aggregation="composite"/>'


def behaviour(element_id: str, name: str, file: str, language: str = "XMILE") -> str:
    """An opaque behaviour naming an SD model file (Salver's convention for SD behaviour)."""
    return (f'      <ownedBehavior xmi:type="uml:OpaqueBehavior" xmi:id="{element_id}" name={quoteattr(name)}>'
            f"<language>{language}</language><body>{escape(file)}</body></ownedBehavior>")


def xmile(name: str, variables: str, stop: float = 10, dt: float = 0.25) -> str:
    """An XMILE model with ``variables`` (``<aux>``/``<stock>``/``<flow>`` elements) and time settings."""
    return ('<?xml version="1.0" encoding="utf-8"?>\n<xmile version="1.0" '
            'xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">\n'
            f"<header><vendor>test</vendor><product version='1'>test</product><name>{name}</name></header>\n"
            f"<sim_specs method='Euler'><start>0</start><stop>{stop}</stop><dt>{dt}</dt></sim_specs>\n"
            f"<model><variables>{variables}</variables></model></xmile>\n")


def constraint(element_id: str, body: str, language: str = "Natural language", name: str = "") -> str:
    named = f" name={quoteattr(name)}" if name else ""
    return (f'      <ownedRule xmi:type="uml:Constraint" xmi:id="{element_id}"{named}>'
            f'<specification xmi:type="uml:OpaqueExpression" xmi:id="{element_id}_s">'
            f"<language>{escape(language)}</language><body>{escape(body)}</body></specification></ownedRule>")


def connector(element_id: str, first: tuple[str, str | None], second: tuple[str, str | None], name: str = "") -> str:
    """A connector between ``(role, part with port)`` ends (Papyrus omits the type of connectors)."""
    ends = []
    for n, (role, holder) in enumerate((first, second)):
        via = f' partWithPort="{holder}"' if holder else ""
        ends.append(f'<end xmi:id="{element_id}_{n}" role="{role}"{via}/>')
    return f'      <ownedConnector xmi:id="{element_id}" name={quoteattr(name or element_id)}>' + "".join(ends) + \
           "</ownedConnector>"


def stereotype(kind: str, base: str, element_id: str, **tags: str) -> str:
    """``Blocks:Block`` on ``base``: the slot is ``base_Class``, ``base_Connector``, ``base_Port``…"""
    slot = {"Block": "base_Class", "ConstraintBlock": "base_Class", "BindingConnector": "base_Connector",
            "FlowPort": "base_Port", "Requirement": "base_Class", "Satisfy": "base_Abstraction",
            "ValueType": "base_DataType"}[kind.rpartition(":")[2]]
    extra = "".join(f" {k}={quoteattr(v)}" for k, v in tags.items())
    return f'  <{kind} xmi:id="{element_id}" {slot}="{base}"{extra}/>'


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def newton(body: str = "F = m * a", mass: str | None = "1500", acceleration: str | None = "2",
           force: str | None = None) -> str:
    """Vehicle with mass, acceleration and force bound to the parameters of a constraint block."""
    bindings = [connector(f"b{n}", (value_id, None), (param, "law")) for n, (value_id, param) in
                enumerate((("mass", "N_m"), ("accel", "N_a"), ("force", "N_F")))]
    vehicle = block("Vehicle", "Vehicle", value("mass", "mass", mass), value("accel", "acceleration", acceleration),
                    value("force", "force", force), part("law", "law", "Newton"), *bindings)
    law = block("Newton", "Newton", constraint("N_c", body, name="second law"), value("N_F", "F"), value("N_m", "m"),
                value("N_a", "a"))
    stereotypes = [stereotype("Blocks:Block", "Vehicle", "s1"),
                   stereotype("ConstraintBlocks:ConstraintBlock", "Newton", "s2")]
    stereotypes += [stereotype("Blocks:BindingConnector", f"b{n}", f"s{3 + n}") for n in range(3)]
    return papyrus("Newton", [vehicle, law], stereotypes)
