#!/usr/bin/python3
"""Print a hive as the normalized listing of src/devtools/hive_listing.hpp, read with hivex.

Run with Debian's /usr/bin/python3 (python3-hivex). Usage: hivex_dump.py [--timestamps] HIVE
Lines (sorted):  K<TAB>path | T<TAB>path<TAB>ISO time | V<TAB>path<TAB>name<TAB>type<TAB>data
"""
import datetime
import sys

import hivex

TYPE_NAMES = {
    0: "REG_NONE", 1: "REG_SZ", 2: "REG_EXPAND_SZ", 3: "REG_BINARY", 4: "REG_DWORD",
    5: "REG_DWORD_BIG_ENDIAN", 6: "REG_LINK", 7: "REG_MULTI_SZ", 8: "REG_RESOURCE_LIST",
    9: "REG_FULL_RESOURCE_DESCRIPTOR", 10: "REG_RESOURCE_REQUIREMENTS_LIST", 11: "REG_QWORD",
}


def escape(text):
    return "".join("\\x%02x" % ord(c) if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)


def utf16_text(data):
    # Up to the first NUL code unit, as the C++ listing does; an odd trailing byte is ignored.
    units = data[: len(data) - (len(data) % 2)]
    text = units.decode("utf-16-le", errors="replace")
    return text.split("\0", 1)[0]


def value_repr(vtype, data):
    size = "%d:" % len(data)
    if (vtype == 4 and len(data) == 4) or (vtype == 11 and len(data) == 8):
        return size + str(int.from_bytes(data, "little"))
    if vtype == 5 and len(data) == 4:
        return size + str(int.from_bytes(data, "big"))
    if vtype in (1, 2):
        return size + "sz:" + escape(utf16_text(data))
    return size + "hex:" + data.hex()


def filetime_iso(ft):
    seconds, ticks = divmod(ft, 10_000_000)
    when = datetime.datetime(1601, 1, 1) + datetime.timedelta(seconds=seconds)
    return when.strftime("%Y-%m-%dT%H:%M:%S") + ".%07dZ" % ticks


def main(argv):
    timestamps = "--timestamps" in argv
    paths = [a for a in argv if not a.startswith("--")]
    if len(paths) != 1:
        sys.stderr.write(__doc__)
        return 2
    h = hivex.Hivex(paths[0])
    lines = []
    stack = [(h.root(), h.node_name(h.root()))]
    while stack:
        node, path = stack.pop()
        lines.append("K\t" + escape(path))
        if timestamps:
            lines.append("T\t%s\t%s" % (escape(path), filetime_iso(h.node_timestamp(node))))
        for value in h.node_values(node):
            name = h.value_key(value)
            vtype, data = h.value_value(value)
            lines.append("V\t%s\t%s\t%s\t%s" % (escape(path), escape(name) if name else "@",
                                                TYPE_NAMES.get(vtype, "0x%x" % vtype),
                                                value_repr(vtype, data)))
        for child in h.node_children(node):
            stack.append((child, path + "\\" + h.node_name(child)))
    for line in sorted(lines):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
