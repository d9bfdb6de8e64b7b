"""Runs Driftwatch's SQL on a current ClickHouse engine (chDB, from PyPI).

Tests run on Debian's ClickHouse 18.16; users run a current release from docker-compose.
This checks that the migrations and queries parse and run there too, in two parts:
 1. data-independent statements (migrations twice, one insert per table, catalog queries);
 2. when the input has "analyzer" (recorded by scripts/record-analyzer-sql.ts on 18.16): the
    analyzer's real statements replayed in the order they ran, in a database of their own,
    inserts included, so every query sees the data it saw on 18.16. Each query's answer is
    compared with 18.16's: RowBinary byte for byte, JSONEachRow row for row (as a multiset;
    64-bit integers quoted or not, 1 or true, 1 or 1.0 count as equal).
Usage: bash scripts/check-sql-current.sh
"""
import base64
import json
import math
import re
import sys

import chdb  # noqa: F401 - imported for its version check side effects
from chdb import session

statements = json.load(sys.stdin)
db = session.Session()
print("ClickHouse (chDB)", db.query("SELECT version()", "CSV").bytes().decode().strip())
failures = 0


def first_line(statement: str, width: int = 110) -> str:
    return " ".join(statement.split())[:width]


# --- 1. data-independent statements ----------------------------------------------------
db.query("DROP DATABASE IF EXISTS driftwatch_check")
db.query("CREATE DATABASE driftwatch_check")
db.query("USE driftwatch_check")
for kind in ("migrations", "migrations", "inserts", "queries"):  # migrations twice: idempotent
    for statement in statements[kind]:
        try:
            result = db.query(statement, "JSONEachRow")
            text = result.bytes().decode() if result is not None else ""
            print(f"ok   {kind:10} {statement.splitlines()[0][:90]}" + (f"  -> {text.strip()[:120]}" if text.strip() else ""))
        except Exception as error:  # noqa: BLE001 - report every failure, then exit non-zero
            failures += 1
            print(f"FAIL {kind:10} {statement.splitlines()[0][:90]}\n     {error}")

# --- 2. the analyzer's recorded statements ---------------------------------------------
TRAILING_FORMAT = re.compile(r"\s+FORMAT\s+\w+\s*$")


def normalized(value):
    """A JSON value with the representation differences of versions taken out."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return normalized(int(value))
    if isinstance(value, int):
        return float(value) if abs(value) < 2**53 else value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, list):
        return [normalized(item) for item in value]
    if isinstance(value, dict):
        return {key: normalized(item) for key, item in value.items()}
    return value


def rows_of(text: str) -> list:
    return sorted(json.dumps(normalized(json.loads(line)), sort_keys=True) for line in text.splitlines() if line.strip())


def describe_difference(expected: list, actual: list) -> str:
    missing = [row for row in expected if row not in actual]
    extra = [row for row in actual if row not in expected]
    parts = [f"18.16 gave {len(expected)} rows, this version {len(actual)}"]
    if missing:
        parts.append(f"only on 18.16: {missing[0][:400]}")
    if extra:
        parts.append(f"only here:     {extra[0][:400]}")
    return "\n     ".join(parts)


analyzer = statements.get("analyzer")
if analyzer:
    recorded = analyzer["statements"]
    db.query("DROP DATABASE IF EXISTS driftwatch_check_analyzer")
    db.query("CREATE DATABASE driftwatch_check_analyzer")
    db.query("USE driftwatch_check_analyzer")
    # DateTime columns print in the session's time zone: use 18.16's, so answers compare.
    db.query(f"SET session_timezone = '{analyzer['timezone']}'")
    for statement in statements["migrations"]:
        db.query(statement)
    seen = set()
    counts = {"query": 0, "command": 0, "insert": 0}
    failed_statements = set()
    for entry in recorded:
        kind, text = entry["kind"], entry["sql"]
        counts[kind] += 1
        first_time = text not in seen
        seen.add(text)
        label = f"{kind:10}"
        try:
            if kind != "query":
                db.query(text)
                if first_time and kind == "command":
                    print(f"ok   analyzer {label} {first_line(text)}")
                continue
            fmt = entry.get("format") or "JSONEachRow"
            query = TRAILING_FORMAT.sub("", text)
            if fmt == "RowBinary":
                actual = db.query(query, "RowBinary").bytes()
                expected = base64.b64decode(entry["result"])
                if actual != expected:
                    raise AssertionError(f"RowBinary answer differs from 18.16's: {len(expected)} bytes there, {len(actual)} here"
                                         + ("" if len(actual) % 32 == 0 else " (not 32-byte rows: a column type changed)"))
            else:
                actual_text = db.query(query, "JSONEachRow").bytes().decode()
                expected_rows, actual_rows = rows_of(entry["result"]), rows_of(actual_text)
                if expected_rows != actual_rows:
                    raise AssertionError("answer differs from 18.16's: " + describe_difference(expected_rows, actual_rows))
            if first_time:
                print(f"ok   analyzer {label} {first_line(text)}")
        except Exception as error:  # noqa: BLE001 - report every failure, then exit non-zero
            failures += 1
            if text not in failed_statements:
                failed_statements.add(text)
                print(f"FAIL analyzer {label} {first_line(text, 300)}\n     {str(error).strip()[:1500]}")
            else:
                print(f"FAIL analyzer {label} (again) {first_line(text)}\n     {str(error).strip().splitlines()[0][:300]}")
    distinct = len({entry["sql"] for entry in recorded if entry["kind"] != "insert"})
    print(f"analyzer: replayed {len(recorded)} recorded statements ({counts['query']} queries, {counts['command']} commands, "
          f"{counts['insert']} inserts; {distinct} distinct queries and commands), {len(failed_statements)} distinct statements failed")

print(f"{failures} failures")
sys.exit(1 if failures else 0)
