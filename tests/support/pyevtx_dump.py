#!/usr/bin/python3
"""Normalised dump of an .evtx file, read by python-evtx (default) or by libevtx's evtxexport.

Usage: pyevtx_dump.py [--evtxexport | --verify] FILE

--verify prints python-evtx's own checksum view instead: "header crc=ok|BAD", then per complete
chunk "chunk N magic=ok|BAD header_crc=ok|BAD records_crc=ok|BAD".

Prints what fixtures/evtx/README.md ("Normalised dump") describes and what the C++ test computes
from the spec (smssaudit::devtools::evtx::expected_dump): per record one header line

  record=ID time=ISO event_id=N qualifiers=Q|- version=V level=L task=T opcode=O
  keywords=0x%016x provider=P guid={G}|- channel=C computer=C pid=P tid=T user=SID|-

(on one line), then one indented line per EventData/UserData leaf:

  EventData/<Data Name>=value         manifest events
  EventData/Data=value                classic events: one line per insertion string
  EventData/Binary=HEX
  UserData/<Wrapper>@<attr>=value     attributes of the UserData element (xmlns...)
  UserData/<Wrapper>/<Element>=value

Values are normalised so that both readers agree: hex numbers as 0x<minimal lowercase hex>,
GUIDs upper case with braces, FILETIMEs as ISO-8601 with 7 fraction digits, binary as upper-case
hex. An element whose optional substitution is Null is left out (libevtx does; python-evtx
renders it empty). Exit status 0, or 1 with a message on stderr when the file cannot be read.
"""

import datetime
import re
import subprocess
import sys
import xml.dom.minidom

EPOCH_1601 = datetime.datetime(1601, 1, 1)


def filetime_iso(ft):
    if ft == 0:
        return ""
    secs, frac = divmod(ft, 10_000_000)
    moment = EPOCH_1601 + datetime.timedelta(seconds=secs)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + ".%07dZ" % frac


def hex_min(text):
    return "0x%x" % int(text, 16)


def header_line(f):
    return ("record={record} time={time} event_id={event_id} qualifiers={qualifiers} "
            "version={version} level={level} task={task} opcode={opcode} keywords={keywords} "
            "provider={provider} guid={guid} channel={channel} computer={computer} pid={pid} "
            "tid={tid} user={user}").format(**f)


def body_lines(body):
    """body: list of (path, value) leaves."""
    return ["  %s=%s" % (path, value) for path, value in body]


# ---------------------------------------------------------------------------------------------
# python-evtx: walk the template with the substitution values ourselves, so each value keeps its
# type (python-evtx's own XML rendering loses FILETIME precision and escapes string arrays).

def py_values(node):
    """Leaf texts of one substitution value; None for Null."""
    import Evtx.Nodes as n
    if isinstance(node, n.NullTypeNode):
        return None
    if isinstance(node, n.FiletimeTypeNode):
        return [filetime_iso(node.unpack_qword(0))]
    if isinstance(node, (n.Hex32TypeNode, n.Hex64TypeNode)):
        return [hex_min(node.string())]
    if isinstance(node, n.BooleanTypeNode):
        return ["true" if node.int32() != 0 else "false"]  # libevtx spelling
    if isinstance(node, n.GuidTypeNode):
        return [node.string().upper()]
    if isinstance(node, n.BinaryTypeNode):
        return [bytes(node.binary()).hex().upper()]
    if isinstance(node, n.WstringArrayTypeNode):
        raw = bytes(node.binary()).decode("utf-16-le")
        items = raw.split("\x00")
        if items and items[-1] == "":
            items.pop()
        return items
    if isinstance(node, n.WstringTypeNode):
        return [node.string()]
    return [node.string()]


class PyElem:
    def __init__(self, name):
        self.name = name
        self.attrs = {}
        self.children = []  # PyElem or ("text", [values])


def py_build(node, subs, out):
    """Appends the rendering of template node `node` to list `out`."""
    import Evtx.Nodes as n
    if isinstance(node, n.OpenStartElementNode):
        for child in node.children():
            # An optional substitution with a Null value removes its element (the element's
            # dependency id); libevtx leaves it out, python-evtx would render it empty.
            if (isinstance(child, n.ConditionalSubstitutionNode)
                    and isinstance(subs[child.index()], n.NullTypeNode)):
                return
        elem = PyElem(node.tag_name())
        for child in node.children():
            if isinstance(child, n.AttributeNode):
                value = py_content(child.attribute_value(), subs)
                if value is not None:
                    elem.attrs[child.attribute_name().string()] = "".join(value)
            else:
                py_build(child, subs, elem.children)
        out.append(elem)
    elif isinstance(node, (n.NormalSubstitutionNode, n.ConditionalSubstitutionNode)):
        sub = subs[node.index()]
        if isinstance(sub, n.BXmlTypeNode):
            root = sub.root()
            for c in root.template().children():
                py_build(c, root.substitutions(), out)
        else:
            values = py_values(sub)
            out.append(("text", values if values is not None else []))
    elif isinstance(node, n.ValueNode):
        out.append(("text", [node.children()[0].string()]))
    elif isinstance(node, n.TemplateInstanceNode):
        raise RuntimeError("template instance inside a template")


def py_content(node, subs):
    import Evtx.Nodes as n
    if isinstance(node, (n.NormalSubstitutionNode, n.ConditionalSubstitutionNode)):
        sub = subs[node.index()]
        if isinstance(sub, n.NullTypeNode):
            return None
        return py_values(sub)
    if isinstance(node, n.ValueNode):
        return [node.children()[0].string()]
    return [str(node)]


def texts(elem):
    out = []
    for c in elem.children:
        if isinstance(c, tuple):
            out.extend(c[1])
    return out


def child(elem, name):
    for c in elem.children:
        if isinstance(c, PyElem) and c.name == name:
            return c
    return None


def first_text(elem, default="-"):
    if elem is None:
        return default
    t = texts(elem)
    return "".join(t) if t else default


def py_record(record):
    root = record.root()
    tree = []
    for c in root.template().children():
        py_build(c, root.substitutions(), tree)
    event = [e for e in tree if isinstance(e, PyElem)][0]
    system = child(event, "System")
    provider = child(system, "Provider")
    event_id = child(system, "EventID")
    f = {
        "record": first_text(child(system, "EventRecordID")),
        "time": child(system, "TimeCreated").attrs.get("SystemTime", "-"),
        "event_id": first_text(event_id),
        "qualifiers": event_id.attrs.get("Qualifiers", "-"),
        "version": first_text(child(system, "Version")),
        "level": first_text(child(system, "Level")),
        "task": first_text(child(system, "Task")),
        "opcode": first_text(child(system, "Opcode")),
        "keywords": "0x%016x" % int(first_text(child(system, "Keywords")), 16),
        "provider": provider.attrs.get("Name", "-"),
        "guid": provider.attrs.get("Guid", "-").upper(),
        "channel": first_text(child(system, "Channel")),
        "computer": first_text(child(system, "Computer")),
        "pid": child(system, "Execution").attrs.get("ProcessID", "-"),
        "tid": child(system, "Execution").attrs.get("ThreadID", "-"),
        "user": child(system, "Security").attrs.get("UserID", "-"),
    }
    body = []
    for part in event.children:
        if not isinstance(part, PyElem) or part.name == "System":
            continue
        leaves_of(part.name, part, body)
    return [header_line(f)] + body_lines(body)


def leaves_of(section, part, body):
    """EventData/UserData leaves from a tree of PyElem (python-evtx) or minidom-like adapters."""
    if section == "EventData":
        for data in part.children:
            if not isinstance(data, PyElem):
                continue
            name = data.attrs.get("Name")
            path = "EventData/" + (name if name is not None else data.name)
            values = texts(data)
            if data.name == "Data" and name is None:
                # classic: one leaf per insertion string (evtxexport prints one <Data> element
                # per string, an empty one as <Data/>)
                for v in values or [""]:
                    body.append((path, v))
            else:
                body.append((path, "".join(values)))
    elif section == "UserData":
        for wrapper in part.children:
            if not isinstance(wrapper, PyElem):
                continue
            for attr in sorted(wrapper.attrs):
                body.append(("UserData/%s@%s" % (wrapper.name, attr), wrapper.attrs[attr]))
            for leaf in wrapper.children:
                if isinstance(leaf, PyElem):
                    body.append(("UserData/%s/%s" % (wrapper.name, leaf.name),
                                 "".join(texts(leaf))))


def dump_python_evtx(path):
    import Evtx.Evtx as evtx
    lines = []
    with evtx.Evtx(path) as log:
        for record in log.records():
            lines.extend(py_record(record))
    return lines


# ---------------------------------------------------------------------------------------------
# libevtx: parse `evtxexport -f xml` into the same PyElem trees.

def dom_to_elem(node):
    elem = PyElem(node.tagName)
    for k, v in node.attributes.items():
        elem.attrs[k] = v
    for c in node.childNodes:
        if c.nodeType == c.ELEMENT_NODE:
            elem.children.append(dom_to_elem(c))
        elif c.nodeType in (c.TEXT_NODE, c.CDATA_SECTION_NODE):
            elem.children.append(("text", [c.data]))
    if any(isinstance(c, PyElem) for c in elem.children):
        # pretty-printing whitespace between child elements is not content
        elem.children = [c for c in elem.children if isinstance(c, PyElem)]
    return elem


def normalise_export(f):
    f["time"] = re.sub(r"\.(\d{7})\d*Z$", r".\1Z", f["time"])
    f["guid"] = f["guid"].upper()
    return f


def export_record(event):
    system = child(event, "System")
    provider = child(system, "Provider")
    event_id = child(system, "EventID")
    execution = child(system, "Execution")
    f = normalise_export({
        "record": first_text(child(system, "EventRecordID")),
        "time": child(system, "TimeCreated").attrs.get("SystemTime", "-"),
        "event_id": first_text(event_id),
        "qualifiers": event_id.attrs.get("Qualifiers", "-"),
        "version": first_text(child(system, "Version")),
        "level": first_text(child(system, "Level")),
        "task": first_text(child(system, "Task")),
        "opcode": first_text(child(system, "Opcode")),
        "keywords": "0x%016x" % int(first_text(child(system, "Keywords")), 16),
        "provider": provider.attrs.get("Name", "-"),
        "guid": provider.attrs.get("Guid", "-"),
        "channel": first_text(child(system, "Channel")),
        "computer": first_text(child(system, "Computer")),
        "pid": execution.attrs.get("ProcessID", "-") if execution else "-",
        "tid": execution.attrs.get("ThreadID", "-") if execution else "-",
        "user": child(system, "Security").attrs.get("UserID", "-"),
    })
    body = []
    for part in event.children:
        if not isinstance(part, PyElem) or part.name == "System":
            continue
        leaves_of(part.name, part, body)
    return [header_line(f)] + [line for line in body_lines(normalise_export_leaves(body))]


HEX_LEAF = re.compile(r"^0x[0-9a-fA-F]+$")
GUID_LEAF = re.compile(r"^\{[0-9a-fA-F-]{36}\}$")
TIME_LEAF = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


def normalise_export_leaves(body):
    # evtxexport zero-pads hex values, prints 9 fraction digits and keeps GUID case as stored.
    out = []
    for path, value in body:
        if HEX_LEAF.match(value):
            value = hex_min(value)
        elif GUID_LEAF.match(value):
            value = value.upper()
        elif TIME_LEAF.match(value):
            value = value[:-3] + "Z"
        out.append((path, value))
    return out


def dump_evtxexport(path):
    run = subprocess.run(["evtxexport", "-f", "xml", path], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=False)
    text = run.stdout.decode("utf-8", errors="replace")
    lines = []
    for block in re.findall(r"<Event xmlns=.*?</Event>", text, flags=re.S):
        doc = xml.dom.minidom.parseString(block.encode("utf-8"))
        lines.extend(export_record(dom_to_elem(doc.documentElement)))
    return lines


def verify(path):
    import Evtx.Evtx as evtx

    def ok(flag):
        return "ok" if flag else "BAD"

    lines = []
    with evtx.Evtx(path) as log:
        header = log.get_file_header()
        lines.append("header crc=%s" % ok(header.checksum() == header.calculate_checksum()))
        for index, chunk in enumerate(header.chunks()):
            lines.append("chunk %d magic=%s header_crc=%s records_crc=%s" % (
                index, ok(chunk.check_magic()),
                ok(chunk.calculate_header_checksum() == chunk.header_checksum()),
                ok(chunk.calculate_data_checksum() == chunk.data_checksum())))
    return lines


def main(argv):
    args = argv[1:]
    mode = "python-evtx"
    if args and args[0] in ("--evtxexport", "--verify"):
        mode = args[0]
        args = args[1:]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    try:
        if mode == "--verify":
            lines = verify(args[0])
        elif mode == "--evtxexport":
            lines = dump_evtxexport(args[0])
        else:
            lines = dump_python_evtx(args[0])
    except Exception as exc:  # report, do not trace back: the C++ test shows stderr
        sys.stderr.write("pyevtx_dump: %s: %s\n" % (args[0], exc))
        return 1
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
