#!/usr/bin/env python3
"""Import and search of N clients from a CSV: Bidwell's CLI against plain
SQLite doing the same job, in the same run (issue #16 part 5).

Bidwell: `bidwell import clients.csv` into a fresh encrypted workspace, then
`bidwell search` for the last client's name (the import indexes before it
reports done; the search would catch up anything left).
Baseline: Python's sqlite3 (no encryption, no Rust, no checks) reads the same
CSV, inserts the rows into a table of the same columns and an FTS5 table
defined exactly like the workspace's search index (read from a workspace's
schema, so it follows the migrations), in one transaction, WAL and
synchronous=NORMAL like the workspace, then runs the same prefix query.

Rounds alternate Bidwell and baseline; the medians and the rate ratio are
printed. Workspace creation (the key derivation) is outside the timed span.
"""
import argparse
import csv
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

PASSPHRASE = "bench-import passphrase"
GIVEN = ["Ana", "Bruno", "Chloé", "Dmitri", "Eun-ji", "Farah", "Göran", "Hiroshi", "Inès", "João", "Kofi", "Łucja"]
FAMILY = ["Almeida", "Bergström", "Castillo", "Dubois", "Ekwueme", "Fischer", "García", "Horvat", "Ivanova", "Jensen"]
WORDS = ["venture", "studio", "labs", "works", "digital", "atelier", "partners", "group", "media", "systems"]
CITIES = ["Zürich", "Kraków", "Montréal", "Leeds", "Lyon", "Austin", "Seoul", "München"]


def write_csv(path, n, seed):
    rng = random.Random(seed)
    last = None
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Name", "Email", "Phone", "Company", "Website", "Country", "Notes"])
        for i in range(n):
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            company = f"{family} {rng.choice(WORDS).title()} {i}"
            slug = f"{family.lower()}{i}".encode("ascii", "ignore").decode()
            name = f"{given} {family} {i}"
            w.writerow([
                name,
                f"{slug}@{slug}.example",
                f"+44 20 7946 {rng.randrange(10000):04d}",
                company,
                f"https://{slug}.example",
                rng.choice(["GB", "DE", "FR", "PL", "CA", "US"]),
                f"Met in {rng.choice(CITIES)}; {rng.choice(WORDS)} work, pays on time.",
            ])
            last = name
    return last


def run(cmd, env):
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}")
    return out.stdout


def fts_definition():
    """The search index's definition as the migrations leave it: the last
    CREATE VIRTUAL TABLE search_fts and the options inserted after it."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "migrations")
    found = None
    for name in sorted(os.listdir(here)):
        text = open(os.path.join(here, name), encoding="utf-8").read()
        for match in re.finditer(r"CREATE VIRTUAL TABLE search_fts USING fts5 \((.*?)\);", text, re.S):
            found = f"CREATE VIRTUAL TABLE search_fts USING fts5 ({' '.join(match.group(1).split())})"
    if not found:
        sys.exit("no search_fts in migrations/")
    return found


def unlock_cost(bidwell, work, env):
    """Two commands on an empty workspace: what the timed pair pays to start,
    unlock (the key derivation) and lock, which the app pays once a session."""
    data = os.path.join(work, "empty")
    if not os.path.exists(data):
        run([bidwell, "--data-dir", data, "init", "--name", "Empty"], env)
    start = time.perf_counter()
    for _ in range(2):
        run([bidwell, "--data-dir", data, "--json", "search", "nothing"], env)
    return time.perf_counter() - start


def bidwell_round(bidwell, csv_path, query, work, env):
    data = os.path.join(work, "ws")
    shutil.rmtree(data, ignore_errors=True)
    run([bidwell, "--data-dir", data, "init", "--name", "Bench"], env)
    start = time.perf_counter()
    run([bidwell, "--data-dir", data, "import", csv_path], env)
    found = run([bidwell, "--data-dir", data, "--json", "search", query], env)
    elapsed = time.perf_counter() - start
    if query.split()[-1] not in found:
        sys.exit(f"bidwell did not find {query!r}: {found[:200]}")
    return elapsed


def baseline_round(csv_path, query, fts_sql, work):
    path = os.path.join(work, "plain.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    start = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(
        "CREATE TABLE clients (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT, phone TEXT, company TEXT, "
        "website TEXT, country TEXT, notes TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )
    db.execute(fts_sql)
    try:
        # Costs nothing on insert; SQLite before 3.42 lacks it.
        db.execute("INSERT INTO search_fts (search_fts, rank) VALUES ('secure-delete', 1)")
    except sqlite3.OperationalError:
        pass
    db.execute("BEGIN")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)
        for rowid, (name, email, phone, company, website, country, notes) in enumerate(rows, 1):
            cid = str(uuid.uuid4())
            db.execute(
                "INSERT INTO clients VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (cid, name, email, phone, company, website, country, notes, now, now),
            )
            db.execute(
                "INSERT INTO search_fts (rowid, title, body) VALUES (?, ?, ?)",
                (rowid, name, " ".join([email, phone, company, website, country, notes])),
            )
    db.execute("COMMIT")
    terms = " ".join(f'"{w}"*' for w in query.split())
    hits = db.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid DESC LIMIT 20", (terms,)).fetchall()
    db.close()
    elapsed = time.perf_counter() - start
    if not hits:
        sys.exit(f"the baseline did not find {query!r}")
    return elapsed


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bidwell", required=True, help="the release CLI")
    p.add_argument("--clients", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seed", type=int, default=16)
    args = p.parse_args()
    env = dict(os.environ, BIDWELL_PASSPHRASE=PASSPHRASE)
    work = tempfile.mkdtemp(prefix="bench-import-")
    try:
        csv_path = os.path.join(work, "clients.csv")
        last = write_csv(csv_path, args.clients, args.seed)
        fts_sql = fts_definition()
        print(f"{args.clients} clients, {os.path.getsize(csv_path) // 1000} kB CSV; query {last!r}")
        print(f"search index: {fts_sql}; Python's SQLite {sqlite3.sqlite_version}")
        ours, plain, unlocks = [], [], []
        for r in range(args.rounds):
            ours.append(bidwell_round(args.bidwell, csv_path, last, work, env))
            plain.append(baseline_round(csv_path, last, fts_sql, work))
            unlocks.append(unlock_cost(args.bidwell, work, env))
            print(f"round {r + 1}: bidwell {ours[-1]:.2f} s (of which starting and unlocking twice "
                  f"{unlocks[-1]:.2f} s), plain SQLite {plain[-1]:.2f} s")
        o, b, u = statistics.median(ours), statistics.median(plain), statistics.median(unlocks)
        print(f"median: bidwell {o:.2f} s ({args.clients / o:,.0f} clients/s), "
              f"plain SQLite {b:.2f} s ({args.clients / b:,.0f} clients/s); "
              f"bidwell runs at {b / o:.0%} of plain SQLite's rate")
        print(f"without the two commands' start and unlock ({u:.2f} s; the app unlocks once a session): "
              f"{o - u:.2f} s, {b / (o - u):.0%} of plain SQLite's rate")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
