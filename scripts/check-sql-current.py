"""Runs Driftwatch's data-independent SQL on a current ClickHouse engine (chDB, from PyPI).

Tests run on Debian's ClickHouse 18.16; users run a current release from docker-compose.
This checks that the migrations and queries parse and run there too.
Usage: bash scripts/check-sql-current.sh
"""
import json
import sys

import chdb
from chdb import session

statements = json.load(sys.stdin)
db = session.Session()
print("ClickHouse (chDB)", db.query("SELECT version()", "CSV").bytes().decode().strip())
db.query("CREATE DATABASE IF NOT EXISTS driftwatch_check")
db.query("USE driftwatch_check")
failures = 0
for kind in ("migrations", "migrations", "inserts", "queries"):  # migrations twice: idempotent
    for statement in statements[kind]:
        try:
            result = db.query(statement, "JSONEachRow")
            text = result.bytes().decode() if result is not None else ""
            print(f"ok   {kind:10} {statement.splitlines()[0][:90]}" + (f"  -> {text.strip()[:120]}" if text.strip() else ""))
        except Exception as error:  # noqa: BLE001 - report every failure, then exit non-zero
            failures += 1
            print(f"FAIL {kind:10} {statement.splitlines()[0][:90]}\n     {error}")
print(f"{failures} failures")
sys.exit(1 if failures else 0)
