"""Runs Driftwatch's SQL on a current ClickHouse engine (chDB, from PyPI).

Tests run on Debian's ClickHouse 18.16; users run a current release from docker-compose.
This checks that the migrations and queries parse and run there too, in two parts:
 1. data-independent statements (migrations twice, one insert per table, catalog queries);
 2. when the input has "analyzer" (recorded by scripts/record-analyzer-sql.ts on 18.16): the
    analyzer's real statements replayed in the order they ran, in a database of their own,
    inserts included, so every query sees the data it saw on 18.16. Each query's answer is
    compared with 18.16's: RowBinary byte for byte or, cut into rows by the recorded column
    types, as a multiset of rows (streams without ORDER BY); JSONEachRow row for row (as a multiset;
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
# A plain ADD COLUMN cannot say IF NOT EXISTS on 18.16; the runner (storage/migrate.ts) takes
# "column ... already exists" from it as applied, and so does this check.
ADD_COLUMN = re.compile(r"^ALTER\s+TABLE\s+\S+\s+ADD\s+COLUMN\s+(?!IF\s)", re.IGNORECASE)
ALTER_CLAUSE = re.compile(r"\b(ADD|DROP|MODIFY|RENAME|CLEAR|DELETE|UPDATE|COMMENT|FREEZE|ATTACH|DETACH|REPLACE|MATERIALIZE)\s+\w+", re.IGNORECASE)


def is_single_add_column(statement: str) -> bool:
    """As isSingleAddColumn in storage/migrate.ts: one clause, a plain ADD COLUMN."""
    return bool(ADD_COLUMN.match(statement)) and len(ALTER_CLAUSE.findall(statement)) == 1
for kind in ("migrations", "migrations", "inserts", "queries"):  # migrations twice: idempotent
    for statement in statements[kind]:
        try:
            result = db.query(statement, "JSONEachRow")
            text = result.bytes().decode() if result is not None else ""
            print(f"ok   {kind:10} {statement.splitlines()[0][:90]}" + (f"  -> {text.strip()[:120]}" if text.strip() else ""))
        except Exception as error:  # noqa: BLE001 - report every failure, then exit non-zero
            if kind == "migrations" and is_single_add_column(statement) and "already exists" in str(error):
                print(f"ok   {kind:10} {statement.splitlines()[0][:90]}  -> column already there")
                continue
            failures += 1
            print(f"FAIL {kind:10} {statement.splitlines()[0][:90]}\n     {error}")

# --- 2. the analyzer's recorded statements ---------------------------------------------
TRAILING_FORMAT = re.compile(r"\s+FORMAT\s+\w+\s*$")


ZERO_DATETIME = "0000-00-00 00:00:00"  # 18.16 prints DateTime 0 so; current versions print the epoch
epoch_text = ZERO_DATETIME


def normalized(value):
    """A JSON value with the representation differences of versions taken out."""
    if value == ZERO_DATETIME:
        return epoch_text
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


FIXED_SIZES = {
    "UInt8": 1, "Int8": 1, "Enum8": 1, "Bool": 1, "UInt16": 2, "Int16": 2, "Enum16": 2, "Date": 2,
    "UInt32": 4, "Int32": 4, "Float32": 4, "DateTime": 4, "UInt64": 8, "Int64": 8, "Float64": 8, "DateTime64": 8,
    "UInt128": 16, "Int128": 16, "UUID": 16,
}


def split_types(inner: str) -> list:
    """'A, Array(B), C' -> ['A', 'Array(B)', 'C'] (commas inside parentheses or quotes kept)."""
    parts, depth, quoted, current = [], 0, False, ""
    for ch in inner:
        if ch == "'" and not current.endswith("\\"):
            quoted = not quoted
        if not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def var_uint(data: bytes, offset: int) -> tuple:
    result, shift = 0, 0
    while True:
        byte = data[offset]
        offset += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, offset
        shift += 7


def skip_value(data: bytes, offset: int, type_name: str) -> int:
    """Offset just past one RowBinary value of `type_name` starting at `offset`."""
    name, _, rest = type_name.partition("(")
    inner = rest[:-1] if rest else ""
    if name in FIXED_SIZES:
        return offset + FIXED_SIZES[name]
    if name == "String":
        length, offset = var_uint(data, offset)
        return offset + length
    if name == "FixedString":
        return offset + int(inner)
    if name in ("Nullable",):
        return offset + 1 if data[offset] == 1 else skip_value(data, offset + 1, inner)
    if name == "LowCardinality":
        return skip_value(data, offset, inner)
    if name == "Array":
        count, offset = var_uint(data, offset)
        for _ in range(count):
            offset = skip_value(data, offset, inner)
        return offset
    if name == "Tuple":
        for part in split_types(inner):
            offset = skip_value(data, offset, part.split(" ")[-1] if " " in part and "(" not in part.split(" ")[0] else part)
        return offset
    raise ValueError(f"no RowBinary reader for type {type_name}")


def row_binary_rows(data: bytes, types: list) -> list:
    """The answer cut into its rows (bytes each), using the answer's column types."""
    rows, offset = [], 0
    while offset < len(data):
        start = offset
        for type_name in types:
            offset = skip_value(data, offset, type_name)
        if offset > len(data):
            raise ValueError("RowBinary answer ends inside a row")
        rows.append(data[start:offset])
    return rows


def close(a, b) -> bool:
    """Equal but for the last digits of floats (a sum of the same doubles in another order)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[key], b[key]) for key in a)
    return a == b


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
    print(f"analyzer: {len(recorded)} statements recorded on ClickHouse {analyzer.get('version', '?')}, replayed here in order")
    db.query("DROP DATABASE IF EXISTS driftwatch_check_analyzer")
    db.query("CREATE DATABASE driftwatch_check_analyzer")
    db.query("USE driftwatch_check_analyzer")
    # DateTime columns print in the session's time zone: use 18.16's, so answers compare.
    db.query(f"SET session_timezone = '{analyzer['timezone']}'")
    epoch_text = db.query("SELECT toString(toDateTime(0))", "TSV").bytes().decode().strip()
    for statement in statements["migrations"]:
        db.query(statement)
    seen = set()
    counts = {"query": 0, "command": 0, "insert": 0}
    failed_statements = set()
    # The recorder writes a statement's column types once, with its first run.
    columns_of = {}
    approximate = []
    type_differences = []
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
            if entry.get("columns") is not None:
                meta = json.loads(db.query(f"SELECT * FROM ({query}) LIMIT 0", "JSON").bytes().decode())["meta"]
                here = [(column["name"], column["type"]) for column in meta]
                there = [(column["name"], column["type"]) for column in entry["columns"]]
                if here != there:
                    type_differences.append((text, there, here))
            if fmt == "RowBinary":
                actual = db.query(query, "RowBinary").bytes()
                expected = base64.b64decode(entry["result"])
                # Streams read without ORDER BY (sorting would cost the server memory) come in
                # any order: compare their rows as a multiset, cut by the recorded column types.
                as_rows = ""
                if entry.get("columns") is not None:
                    columns_of[text] = entry["columns"]
                if actual != expected and text in columns_of:
                    types = [column["type"] for column in columns_of[text]]
                    here_rows, there_rows = sorted(row_binary_rows(actual, types)), sorted(row_binary_rows(expected, types))
                    if here_rows == there_rows:
                        actual = expected
                    else:
                        only_there = len([row for row in there_rows if row not in set(here_rows)])
                        as_rows = f"; as rows ({', '.join(types)}): {len(there_rows)} there, {len(here_rows)} here, {only_there} only there"
                elif actual != expected:
                    as_rows = "; no column types recorded, so not compared as rows"
                if actual != expected:
                    raise AssertionError(f"RowBinary answer differs from 18.16's: {len(expected)} bytes there, {len(actual)} here{as_rows}"
                                         + ("" if len(actual) % 32 == 0 else " (not 32-byte rows: a column type changed)"))
            else:
                actual_text = db.query(query, "JSONEachRow").bytes().decode()
                expected_rows, actual_rows = rows_of(entry["result"]), rows_of(actual_text)
                if expected_rows != actual_rows:
                    if len(expected_rows) == len(actual_rows) and all(
                        close(json.loads(x), json.loads(y)) for x, y in zip(expected_rows, actual_rows)
                    ):
                        if text not in {a for a, _ in approximate}:
                            approximate.append((text, describe_difference(expected_rows, actual_rows)))
                    else:
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
    for text, difference in approximate:
        print(f"note analyzer query      floats differ in the last digits only (summation order), accepted: {first_line(text)}\n     {difference}")
    for text, there, here in type_differences:
        changed = [f"{a[0]} {a[1]} -> {b[0]} {b[1]}" for a, b in zip(there, here) if a != b] or [f"{len(there)} columns -> {len(here)}"]
        print(f"note analyzer query      answer's column types differ from 18.16's: {first_line(text)}\n     {'; '.join(changed)[:600]}")
    distinct = len({entry["sql"] for entry in recorded if entry["kind"] != "insert"})
    print(f"analyzer: replayed {len(recorded)} recorded statements ({counts['query']} queries, {counts['command']} commands, "
          f"{counts['insert']} inserts; {distinct} distinct queries and commands), {len(failed_statements)} distinct statements failed, "
          f"{len(type_differences)} with other column types, {len(approximate)} with floats equal to 1e-12 only")

print(f"{failures} failures")
sys.exit(1 if failures else 0)
