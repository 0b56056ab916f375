"""The XES export checked against the IEEE 1849-2016 structure, element by element.

pm4py (AGPL, heavy) is not a test dependency, so the rules of the standard's XML
schema are checked here in code: the log's children in the standard's order
(extensions, globals, classifiers, attributes, traces, events), typed attributes
whose values parse as their type (``date`` as xs:dateTime, ``int`` as xs:long,
``float`` as xs:double, ``boolean``), required attributes present, no element
the schema does not know, and every key of a standard extension (``concept:``,
``time:``, ``lifecycle:``, ...) declared by an ``<extension>``. The checker is shown to fail on broken logs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from annotate.formats import dumps_events
from annotate.testing.events import make_recording, many_events, tricky_events

STANDARD_EXTENSIONS = {"concept", "time", "lifecycle", "org", "identity", "cost", "semantic", "micro"}
ATTRIBUTES = {"string", "date", "int", "float", "boolean", "id", "list"}
LOG_ORDER = ["extension", "global", "classifier", "attribute", "trace", "event"]
_DATETIME = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
_NCNAME = re.compile(r"^[A-Za-z_][\w.\-]*$")


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def check_value(kind: str, value: str | None, where: str) -> None:
    if value is None:
        raise AssertionError(f"{where}: <{kind}> without value")
    if kind == "date":
        assert _DATETIME.match(value), f"{where}: {value!r} is not an xs:dateTime"
    elif kind == "int":
        assert re.fullmatch(r"[+-]?\d+", value) and -(2**63) <= int(value) < 2**63, f"{where}: {value!r} is not xs:long"
    elif kind == "float":
        assert re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN", value), f"{where}: {value!r} not xs:double"
    elif kind == "boolean":
        assert value in {"true", "false", "1", "0"}, f"{where}: {value!r} is not xs:boolean"


def check_attribute(el: ET.Element, where: str, prefixes: set[str]) -> None:
    kind = local(el.tag)
    assert kind in ATTRIBUTES, f"{where}: <{kind}> is not an XES attribute"
    key = el.get("key")
    assert key, f"{where}: <{kind}> without key"
    if ":" in key and key.split(":", 1)[0] in STANDARD_EXTENSIONS:
        assert key.split(":", 1)[0] in prefixes, f"{where}: key {key!r} uses an undeclared extension prefix"
    if kind == "list":
        children = list(el)
        assert len(children) == 1 and local(children[0].tag) == "values", f"{where}: <list> needs one <values>"
        for i, child in enumerate(children[0]):
            check_attribute(child, f"{where}/values[{i}]", prefixes)
        return
    check_value(kind, el.get("value"), f"{where} key={key}")
    for i, child in enumerate(el):  # attributes may carry meta-attributes
        check_attribute(child, f"{where}/{local(child.tag)}[{i}]", prefixes)


def check_in_order(children: list[ET.Element], order: list[str], where: str) -> None:
    rank = [order.index("attribute" if local(c.tag) in ATTRIBUTES else local(c.tag)) for c in children]
    assert rank == sorted(rank), f"{where}: children out of the standard's order: {[local(c.tag) for c in children]}"


def check_xes(data: bytes) -> ET.Element:
    """Raise AssertionError where ``data`` breaks the XES structure; return the log element."""
    root = ET.fromstring(data)
    assert local(root.tag) == "log", "the root must be <log>"
    assert re.fullmatch(r"\d+(\.\d+)?", root.get("xes.version", "")), "log needs a decimal xes.version"
    children = list(root)
    for c in children:
        assert local(c.tag) in {*LOG_ORDER, *ATTRIBUTES}, f"log: <{local(c.tag)}> is not allowed"
    check_in_order(children, LOG_ORDER, "log")
    prefixes = set()
    for ext in root.iter():
        if local(ext.tag) == "extension":
            for need in ("name", "prefix", "uri"):
                assert ext.get(need), f"<extension> without {need}"
            assert _NCNAME.match(ext.get("prefix")), "extension prefix must be an NCName"
            prefixes.add(ext.get("prefix"))
    for c in children:
        name = local(c.tag)
        if name == "global":
            for i, a in enumerate(c):
                check_attribute(a, f"global[{i}]", prefixes)
        elif name == "classifier":
            assert c.get("name") and c.get("keys"), "<classifier> needs name and keys"
        elif name in ATTRIBUTES:
            check_attribute(c, "log", prefixes)
        elif name in ("trace", "event"):
            check_container(c, name, prefixes)
    return root


def check_container(el: ET.Element, where: str, prefixes: set[str]) -> None:
    children = list(el)
    allowed = ["attribute", "event"] if local(el.tag) == "trace" else ["attribute"]
    for c in children:
        name = local(c.tag)
        assert name in ATTRIBUTES or name in allowed, f"{where}: <{name}> is not allowed"
    check_in_order(children, allowed, where)
    for i, c in enumerate(children):
        if local(c.tag) == "event":
            check_container(c, f"{where}/event[{i}]", prefixes)
        else:
            check_attribute(c, f"{where}/{local(c.tag)}[{i}]", prefixes)


def test_the_export_of_awkward_events_follows_the_xes_structure():
    rec = make_recording()
    root = check_xes(dumps_events(tricky_events(rec), [rec], format="xes"))
    events = [e for e in root.iter() if local(e.tag) == "event"]
    assert events, "the log holds events"
    for ev in events:  # what process-mining tools read: an activity name and a time on every event
        keys = {a.get("key") for a in ev}
        assert {"concept:name", "time:timestamp"} <= keys, keys


def test_a_thousand_events_follow_the_xes_structure():
    rec = make_recording()
    root = check_xes(dumps_events(many_events(rec, 1000), [rec], format="xes"))
    assert sum(1 for e in root.iter() if local(e.tag) == "trace") == 1


@pytest.mark.parametrize(
    "broken, message",
    [
        (b'<log xes.version="1.0"><trace><string key="concept:name" value="a"/></trace></log>', "undeclared"),
        (b'<log><trace/></log>', "xes.version"),
        (b'<log xes.version="1.0"><trace/><extension name="C" prefix="c" uri="u"/></log>', "order"),
        (b'<log xes.version="1.0"><trace><event><date key="t" value="yesterday"/></event></trace></log>', "dateTime"),
        (b'<log xes.version="1.0"><trace><event><int key="n" value="1.5"/></event></trace></log>', "xs:long"),
        (b'<log xes.version="1.0"><trace><event/><string key="a" value="b"/></trace></log>', "order"),
        (b'<log xes.version="1.0"><trace><event><trace/></event></trace></log>', "not allowed"),
    ],
)
def test_the_checker_rejects_broken_logs(broken, message):
    with pytest.raises(AssertionError, match=message):
        check_xes(broken)
