#!/usr/bin/python3
"""Print a hive as the normalized listing of src/devtools/hive_listing.hpp, read with libregf.

Runs `regfexport` (libregf-utils) and normalizes its text. Usage: regfexport_dump.py [--classes] HIVE
Lines (sorted):  K<TAB>path | C<TAB>path<TAB>class | V<TAB>path<TAB>name<TAB>type<TAB>data

regfexport 20201007 prints strings decoded (up to the first NUL), integers in decimal and
everything else as a hex dump. Known reader quirk: inline data of 1-3 bytes (vk data size
0x80000001..3) is shown as zeros, so such values cannot be cross-checked through libregf.
"""
import re
import subprocess
import sys

TYPE_ALIASES = {"REG_DWORD_LITTLE_ENDIAN": "REG_DWORD", "REG_QWORD_LITTLE_ENDIAN": "REG_QWORD"}
HEX_LINE = re.compile(r"^[0-9a-f]{8}: ")


def escape(text):
    return "".join("\\x%02x" % ord(c) if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)


def parse_type(text):
    match = re.search(r"\((REG_[A-Z_]+)\)$", text)
    if match:
        return TYPE_ALIASES.get(match.group(1), match.group(1))
    match = re.search(r"unknown: 0x([0-9a-fA-F]+)$", text)
    if match:
        return "0x%x" % int(match.group(1), 16)
    raise ValueError("unrecognised regfexport type line: %r" % text)


def hexdump_bytes(lines):
    out = bytearray()
    for line in lines:
        # "00000000: 61 00 75 00 74 00 6f 00  63 00 68 00 65 00 63 00   a.u.t.o. c.h.e.c."
        body = line[10:34] + " " + line[35:59]
        out += bytes(int(tok, 16) for tok in body.split())
    return bytes(out)


class Value:
    def __init__(self, path, name):
        self.path, self.name = path, name
        self.type, self.size, self.text, self.dump = None, None, None, []

    def line(self):
        if self.size is None or self.type is None:
            raise ValueError("incomplete value %s\\%s" % (self.path, self.name))
        size = "%d:" % self.size
        if self.type in ("REG_DWORD", "REG_QWORD", "REG_DWORD_BIG_ENDIAN") and self.text is not None:
            data = size + self.text.strip()
        elif self.type in ("REG_SZ", "REG_EXPAND_SZ"):
            data = size + "sz:" + escape(self.text or "")
        else:
            raw = hexdump_bytes(self.dump)
            if len(raw) != self.size:
                raise ValueError("hex dump of %s\\%s has %d bytes, size says %d"
                                 % (self.path, self.name, len(raw), self.size))
            data = size + "hex:" + raw.hex()
        return "V\t%s\t%s\t%s\t%s" % (escape(self.path), self.name, self.type, data)


def normalize(text, classes):
    lines = text.split("\n")
    out = []
    path = None
    value = None
    i = 0

    def flush():
        nonlocal value
        if value is not None:
            out.append(value.line())
            value = None

    while i < len(lines):
        line = lines[i]
        if line.startswith("Key path: "):
            flush()
            path = line[len("Key path: "):]
            out.append("K\t" + escape(path))
        elif line.startswith("Class name: ") and value is None:
            if classes:
                out.append("C\t%s\t%s" % (escape(path), escape(line[len("Class name: "):])))
        elif line.startswith("Value: "):
            flush()
            name = line[len("Value: "):].split(" ", 1)[1]
            value = Value(path, "@" if name == "(default)" else escape(name))
        elif value is not None and line.startswith("Type: "):
            value.type = parse_type(line[len("Type: "):])
        elif value is not None and line.startswith("Data size: "):
            value.size = int(line[len("Data size: "):])
        elif value is not None and line.startswith("Data:"):
            rest = line[len("Data:"):]
            if rest.startswith(" "):
                # Decoded text; it may span lines when the string holds newlines. It ends at the
                # blank line that precedes the next item.
                parts = [rest[1:]]
                while i + 1 < len(lines) and not (
                        lines[i + 1] == "" and (i + 2 >= len(lines) or lines[i + 2].startswith(
                            ("Value: ", "Key path: ")) or lines[i + 2] == "")):
                    i += 1
                    parts.append(lines[i])
                value.text = "\n".join(parts)
            else:
                while i + 1 < len(lines) and HEX_LINE.match(lines[i + 1]):
                    i += 1
                    value.dump.append(lines[i])
        elif line.startswith("Mismatch in data size"):
            pass  # regfexport's own remark on odd-sized integers; the hex dump follows
        i += 1
    flush()
    return sorted(out)


def main(argv):
    classes = "--classes" in argv
    paths = [a for a in argv if not a.startswith("--")]
    if len(paths) != 1:
        sys.stderr.write(__doc__)
        return 2
    proc = subprocess.run(["regfexport", paths[0]], capture_output=True, text=True,
                          encoding="utf-8", errors="replace", check=False)
    if proc.returncode != 0:
        sys.stderr.write("regfexport failed (%d): %s" % (proc.returncode, proc.stderr))
        return 1
    try:
        lines = normalize(proc.stdout, classes)
    except ValueError as error:
        sys.stderr.write("cannot normalize regfexport output: %s\n" % error)
        return 1
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
