#!/usr/bin/env python3
"""Checks integrations/: the Velociraptor artifacts and the KAPE module parse as YAML, carry the
keys their tools require, and only use smssaudit options that `smssaudit scan --help` lists. With
--run-dir, every command line they build is also run against that folder and its output parsed.

Usage: check_integrations.py --bin SMSSAUDIT --dir INTEGRATIONS [--run-dir EVIDENCE --scratch DIR]
Exit 0 when everything holds; 1 with one line per problem otherwise.
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import uuid

import yaml

VR_REQUIRED = ["name", "description", "type", "parameters", "sources"]
VR_TYPES = {"CLIENT", "CLIENT_EVENT", "SERVER", "SERVER_EVENT", "NOTEBOOK"}
KAPE_KEYS = {"Description", "Category", "Author", "Version", "Id", "BinaryUrl", "ExportFormat",
             "FileMask", "Processors", "WaitTimeout"}
KAPE_REQUIRED = ["Description", "Category", "Author", "Version", "Id", "BinaryUrl",
                 "ExportFormat", "Processors"]
KAPE_PROCESSOR_KEYS = {"Executable", "CommandLine", "ExportFormat", "ExportFile", "Append"}
KAPE_PROCESSOR_REQUIRED = ["Executable", "CommandLine", "ExportFormat"]

problems = []


def problem(where, msg):
    problems.append(f"{where}: {msg}")


def scan_help(binary):
    """Option names and per-option help lines of `smssaudit scan --help`."""
    out = subprocess.run([binary, "scan", "--help"], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        problem(binary, f"scan --help exited {out.returncode}")
    names = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", out.stdout))
    lines = {}
    for line in out.stdout.splitlines():
        head = line.strip().split("  ")[0] if line.strip().startswith("-") else ""
        for name in re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", head):
            lines[name] = head
    return names, lines


def check_args(where, args, names, lines):
    """args: the arguments after the program. 'scan' first, then known options and values."""
    if not args or args[0] != "scan":
        problem(where, f"command line does not start with 'scan': {args}")
        return
    for i, a in enumerate(args):
        if a.startswith("-") and not re.match(r"^-?\d", a):
            if a not in names:
                problem(where, f"option {a} is not listed by `smssaudit scan --help`")
                continue
            # A value from a fixed set ({text,json,...}) must be one of the listed values.
            line = lines.get(a, "")
            choices = re.search(r"\{([^}]*)\}", line)
            if choices and i + 1 < len(args):
                allowed = [c.strip() for c in choices.group(1).split(",")]
                if args[i + 1] not in allowed:
                    problem(where, f"{a} {args[i + 1]}: not one of {allowed}")


def vql_split(text):
    """Top-level comma split of a VQL argument list."""
    parts, depth, cur, quote = [], 0, "", None
    for ch in text:
        if quote:
            cur += ch
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def vql_value(expr, env):
    expr = expr.strip()
    m = re.fullmatch(r'"([^"]*)"', expr) or re.fullmatch(r"'([^']*)'", expr)
    if m:
        return m.group(1)
    m = re.fullmatch(r"if\((.*)\)", expr, re.S)
    if m:
        kw = {}
        for part in vql_split(m.group(1)):
            k, _, v = part.partition("=")
            kw[k.strip()] = v
        cond = vql_value(kw.get("condition", '""'), env)
        return vql_value(kw.get("then", '""') if cond else kw.get("else", '""'), env)
    if re.fullmatch(r"[A-Za-z_]\w*", expr):
        return env.get(expr, "")
    raise ValueError(f"cannot evaluate {expr!r}")


def velociraptor_argv(where, query, env):
    """The argv of the artifact's execve(): the filter(regex=".+", list=(...)) it builds."""
    m = re.search(r"LET\s+Argv\s*<=\s*filter\(regex=\"\.\+\",\s*list=\((.*?)\)\)\s*\n", query, re.S)
    if not m:
        problem(where, "no `LET Argv <= filter(regex=\".+\", list=(...))` in the query")
        return None
    try:
        values = [vql_value(p, env) for p in vql_split(m.group(1))]
    except ValueError as e:
        problem(where, str(e))
        return None
    return [v for v in values if re.match(".+", v)]


def check_velociraptor(path):
    where = os.path.relpath(path)
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict):
        problem(where, "not a YAML mapping")
        return None
    for key in VR_REQUIRED:
        if not doc.get(key):
            problem(where, f"missing key {key}")
    if doc.get("type") not in VR_TYPES:
        problem(where, f"type {doc.get('type')!r} is not one of {sorted(VR_TYPES)}")
    params = {}
    for p in doc.get("parameters") or []:
        if not isinstance(p, dict) or not p.get("name"):
            problem(where, f"parameter without a name: {p}")
            continue
        if not p.get("description"):
            problem(where, f"parameter {p['name']} has no description")
        if p.get("type") == "choices" and p.get("default") not in (p.get("choices") or []):
            problem(where, f"parameter {p['name']}: default not among its choices")
        params[p["name"]] = p
    queries = []
    for s in doc.get("sources") or []:
        if not isinstance(s, dict) or not s.get("query"):
            problem(where, "a source without a query")
        else:
            queries.append(s["query"])
    return doc, params, "\n".join(queries)


def check_velociraptor_set(directory, names, lines, binary, run_dir):
    docs = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".yaml"):
            r = check_velociraptor(os.path.join(directory, name))
            if r:
                docs[r[0]["name"]] = (os.path.join(directory, name), *r)
    analysis = [d for d in docs.values() if d[1].get("type") == "SERVER"]
    monitors = [d for d in docs.values() if d[1].get("type") == "SERVER_EVENT"]
    if not analysis:
        problem(directory, "no SERVER artifact")
    if not monitors:
        problem(directory, "no SERVER_EVENT artifact")
    for path, doc, params, query in analysis:
        where = os.path.relpath(path)
        for needle in ("uploads(", "execve(", "parse_json(", "filestore_directory"):
            if needle not in query:
                problem(where, f"the query does not use {needle}")
        if "EXECVE" not in (doc.get("required_permissions") or []):
            problem(where, "required_permissions lacks EXECVE")
        for flag in ("ClientId", "FlowId"):
            if flag not in params:
                problem(where, f"no {flag} parameter")
        env = {k: str(v.get("default", "")) for k, v in params.items()}
        env["SmssAuditPath"] = binary
        env["UploadsDir"] = run_dir or "/uploads"
        argv = velociraptor_argv(where, query, env)
        if argv:
            if "--format" not in argv or argv[argv.index("--format") + 1] != "jsonl":
                problem(where, "smssaudit is not run with --format jsonl")
            check_args(where, argv[1:], names, lines)
            if run_dir:
                run_jsonl(where, argv)
    for path, doc, params, query in monitors:
        where = os.path.relpath(path)
        if "System.Flow.Completion" not in query:
            problem(where, "does not watch System.Flow.Completion")
        for m in re.finditer(r"Artifact\.([\w.]+)\((.*?)\)", query, re.S):
            target = docs.get(m.group(1))
            if not target:
                problem(where, f"calls unknown artifact {m.group(1)}")
                continue
            for arg in re.findall(r"(\w+)\s*=", m.group(2)):
                if arg not in target[2]:
                    problem(where, f"passes {arg}, which {m.group(1)} has no parameter for")
        if "EXECVE" not in (doc.get("required_permissions") or []):
            problem(where, "required_permissions lacks EXECVE")


def run_jsonl(where, argv):
    out = subprocess.run(argv, capture_output=True, text=True, check=False)
    if out.returncode not in (0, 1, 3):
        problem(where, f"{' '.join(argv)} exited {out.returncode}: {out.stderr.strip()}")
        return
    for n, line in enumerate(out.stdout.splitlines(), 1):
        try:
            json.loads(line)
        except json.JSONDecodeError as e:
            problem(where, f"stdout line {n} is not JSON: {e}")


def check_kape(path, names, lines, binary, run_dir, scratch):
    where = os.path.relpath(path)
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict):
        problem(where, "not a YAML mapping")
        return
    for key in doc:
        if key not in KAPE_KEYS:
            problem(where, f"key {key} is not a KAPE module key")
    for key in KAPE_REQUIRED:
        if doc.get(key) in (None, ""):
            problem(where, f"missing key {key}")
    try:
        guid = str(doc.get("Id", ""))
        if str(uuid.UUID(guid)) != guid.lower() or not re.fullmatch(
                r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", guid):
            problem(where, f"Id {guid} is not a GUID in 8-4-4-4-12 form")
    except ValueError:
        problem(where, f"Id {doc.get('Id')} is not a GUID")
    processors = doc.get("Processors") or []
    if not processors:
        problem(where, "no Processors")
    for i, p in enumerate(processors):
        pw = f"{where} processor {i + 1}"
        for key in p:
            if key not in KAPE_PROCESSOR_KEYS:
                problem(pw, f"key {key} is not a KAPE processor key")
        for key in KAPE_PROCESSOR_REQUIRED:
            if not p.get(key):
                problem(pw, f"missing key {key}")
        cmd = str(p.get("CommandLine", ""))
        if "%sourceDirectory%" not in cmd:
            problem(pw, "CommandLine does not use %sourceDirectory%")
        args = shlex.split(cmd.replace("\\", "/"))
        check_args(pw, args, names, lines)
        if run_dir:
            dest = os.path.join(scratch, f"kape{i + 1}")
            os.makedirs(dest, exist_ok=True)
            real = [a.replace("%sourceDirectory%", run_dir).replace("%destinationDirectory%", dest)
                    for a in args]
            out = subprocess.run([binary] + real, capture_output=True, text=True, check=False)
            if out.returncode not in (0, 1, 3):
                problem(pw, f"{' '.join(real)} exited {out.returncode}: {out.stderr.strip()}")
            else:
                try:
                    if p.get("ExportFormat") == "jsonl":
                        for line in out.stdout.splitlines():
                            json.loads(line)
                    elif p.get("ExportFormat") == "json":
                        json.loads(out.stdout)
                except json.JSONDecodeError as e:
                    problem(pw, f"stdout is not {p.get('ExportFormat')}: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--run-dir", default="")
    ap.add_argument("--scratch", default="")
    a = ap.parse_args()
    names, lines = scan_help(a.bin)
    vr = os.path.join(a.dir, "velociraptor")
    kape = os.path.join(a.dir, "kape")
    if os.path.isdir(vr):
        check_velociraptor_set(vr, names, lines, a.bin, a.run_dir)
    else:
        problem(a.dir, "no velociraptor/ folder")
    modules = [n for n in sorted(os.listdir(kape)) if n.endswith(".mkape")] if os.path.isdir(kape) else []
    if not modules:
        problem(a.dir, "no kape/*.mkape module")
    for n in modules:
        check_kape(os.path.join(kape, n), names, lines, a.bin, a.run_dir, a.scratch or "/tmp")
    readme = os.path.join(a.dir, "README.md")
    if not os.path.isfile(readme):
        problem(a.dir, "no README.md")
    else:
        with open(readme, encoding="utf-8") as f:
            text = f.read()
        for needle in ("smssaudit batch", "Exit code", "Velociraptor", "KAPE"):
            if needle not in text:
                problem(readme, f"does not mention {needle!r}")
    for p in problems:
        print(p)
    if problems:
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
