#!/usr/bin/python3
"""Validates smssaudit output against a JSON Schema (draft 2020-12), for the test suite.

    validate_schema.py SCHEMA FILE           FILE is one JSON document (--format json)
    validate_schema.py --jsonl SCHEMA FILE   FILE is JSONL: every line is validated on its own, and
                                             its timestamp must equal its datetime in microseconds

Prints one line per problem and exits 1 when there is any, 0 otherwise; 2 on a usage error.
Needs Debian's python3-jsonschema (scripts/setup installs it).
"""
import datetime
import json
import sys

import jsonschema

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def micros(iso):
    """ISO-8601 UTC with up to 7 fraction digits -> microseconds since the epoch (floor)."""
    head, _, frac = iso.rstrip("Z").partition(".")
    whole = datetime.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    delta = whole - EPOCH
    seconds = delta.days * 86400 + delta.seconds
    return seconds * 1_000_000 + int((frac + "000000")[:6])


def problems_in(validator, doc, where):
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in error.absolute_path)
        yield f"{where}: /{path}: {error.message[:300]}"


def main(argv):
    jsonl = "--jsonl" in argv
    args = [a for a in argv if a != "--jsonl"]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    schema_path, file_path = args
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    with open(file_path, encoding="utf-8") as f:
        if not jsonl:
            problems.extend(problems_in(validator, json.load(f), file_path))
        else:
            for number, line in enumerate(f, start=1):
                where = f"{file_path}:{number}"
                doc = json.loads(line)
                problems.extend(problems_in(validator, doc, where))
                if isinstance(doc.get("datetime"), str) and micros(doc["datetime"]) != doc.get("timestamp"):
                    problems.append(f"{where}: timestamp {doc.get('timestamp')} != datetime {doc['datetime']}")
    for p in problems:
        print(p)
    print(f"{file_path}: {'valid' if not problems else str(len(problems)) + ' problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
