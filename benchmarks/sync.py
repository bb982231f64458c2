"""Benchmarks of ``vnkit.sync``: figures printed, never asserted as timings.

Run from the repository root::

    PYTHONPATH=$PWD .venv/bin/python benchmarks/sync.py [--companies 300] [--kills 50]
        [--skip-memory | --only-memory | --only-kills]

1. A first sync of the accounting firm's companies (``vnkit.sandbox._firm``) x 3
   endpoints: calls against the minimum (one per page), rows, rows/s, requests in flight.
2. A second run with no changes: calls (the minimum is one per company and endpoint)
   and rows written (0 expected).
3. Peak memory (RSS of a fresh process) of a sync of one endpoint with 1x and 5x the
   rows: 20,000 customers (the demo's Skagerrak Trading AB) and 100,000 customers of
   the same shape (``benchmarks/benchdata.py``).
4. Kill and resume: 50 ``vnkit sync`` runs killed (SIGKILL) at random points, then one
   run to the end; records lost, duplicated, extra or stale, as ``vnkit.sql`` sees them,
   against a fresh ``fetch`` (0 of each expected).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(ROOT), str(HERE), os.environ.get("PYTHONPATH")]))
sys.path[:0] = [str(ROOT), str(HERE)]

import vnkit  # noqa: E402
from vnkit._client import connect  # noqa: E402

ENDPOINTS = ("customer", "supplier", "customerinvoice")
KEYS = {"customer": "number", "supplier": "number", "customerinvoice": "referenceNumber"}


def _minimum_calls(sandbox, companies) -> int:
    """One call per page: ceil(totalCount / maxPageSize) per company and endpoint."""
    total = 0
    for company in companies:
        with connect(sandbox, company=company, progress=False) as client:
            for endpoint in ENDPOINTS:
                first = client.get(endpoint, pageNumber=1, pageSize=1)
                meta = first[0]["metadata"] if first else {"totalCount": 0}
                page = client.get(endpoint, pageNumber=1, pageSize=100_000)
                size = page[0]["metadata"]["maxPageSize"] if page else 1
                total += max(1, math.ceil(meta["totalCount"] / size))
    return total


def _floor(sandbox, ids) -> tuple[float, int]:
    """Seconds and rows of a plain loop over the same pages: requests, json, json_normalize.

    One session signed in as the sync is (the token fetched by vnkit, once); each
    company's endpoints asked for with the largest page, one request after another.
    """
    import pandas as pd
    import requests

    with connect(sandbox, progress=False) as client:
        client.sign_in()
        session = requests.Session()
        session.auth = client.session.auth
        headers = {"Accept": "application/json",
                   "ipp-application-type": "Visma.net Financials"}
        started = time.perf_counter()
        rows = 0
        for company in ids:
            for endpoint in ENDPOINTS:
                url = client.environment.endpoint_url(endpoint)
                number = 1
                while True:
                    response = session.get(url, params={"pageSize": 1000,
                                                        "pageNumber": number},
                                           headers={**headers,
                                                    "ipp-company-id": str(company)})
                    page = json.loads(response.content)
                    rows += len(pd.json_normalize(page, sep=".")) if page else 0
                    if not page or len(page) < page[0]["metadata"]["maxPageSize"]:
                        break
                    number += 1
        return time.perf_counter() - started, rows


def bench_many_companies(companies: int) -> None:
    sandbox = vnkit.sandbox.start(data_module="vnkit.sandbox._firm")
    try:
        ids = [c.company_id for c in sandbox.credentials.companies][:companies]
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            first = vnkit.sync(sandbox, to=folder, companies=ids, progress=False)
            seconds = time.perf_counter() - started
            rows = sum(r.unique for r in first.results)
            minimum = _minimum_calls(sandbox, ids[:20]) * len(ids) // min(20, len(ids))
            print(f"first sync: {len(ids)} companies x {len(ENDPOINTS)} endpoints: "
                  f"{first.calls} calls (minimum, one per page: about {minimum}), "
                  f"{rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s, "
                  f"peak {first.peak_in_flight} requests in flight, "
                  f"{len(first.problems)} problems")
            floor_s, floor_rows = _floor(sandbox, ids)
            print(f"the CPU floor, the same pages with requests + json.loads + "
                  f"pandas.json_normalize, one after another (no Parquet): {floor_rows:,} "
                  f"rows in {floor_s:.1f} s = {floor_rows / floor_s:,.0f} rows/s; the sync "
                  f"takes {seconds / floor_s:.2f}x its time")
            started = time.perf_counter()
            second = vnkit.sync(sandbox, to=folder, companies=ids, progress=False)
            seconds = time.perf_counter() - started
            print(f"second sync, no changes: {second.calls} calls for "
                  f"{len(ids) * len(ENDPOINTS)} company-endpoints, "
                  f"{second.rows_written} rows written, {seconds:.1f} s")
            started = time.perf_counter()
            frame = vnkit.sql("select company_id, count(*) n, sum(amount) total "
                              "from customerinvoice group by all", folder)
            print(f"vnkit.sql over {len(frame)} companies' invoices: "
                  f"{time.perf_counter() - started:.2f} s")
    finally:
        sandbox.stop()


_MEMORY_CHILD = """
import json, os, sys, threading, time, vnkit
import pyarrow, pyarrow.parquet, duckdb  # the sync's own imports are not what is measured
sandbox = vnkit.sandbox.Sandbox.attach(sys.argv[1])
company, folder = sys.argv[2], sys.argv[3]
client = vnkit.connect(sandbox, company=int(company), progress=False)
PAGE = os.sysconf("SC_PAGE_SIZE")

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE

peak, running = [rss()], [True]

def sample():  # the resident set, every 20 ms, while the sync runs
    while running[0]:
        peak[0] = max(peak[0], rss())
        time.sleep(0.02)

base = rss()
thread = threading.Thread(target=sample, daemon=True)
thread.start()
started = time.perf_counter()
report = vnkit.sync(client, to=folder, endpoints=["customer"], progress=False)
seconds = time.perf_counter() - started
running[0] = False
thread.join()
peak_kb = max(peak[0], rss()) // 1024
started = time.perf_counter()
fetched = len(client.fetch("customer"))  # for comparison: the same rows into a DataFrame
fetch_seconds = time.perf_counter() - started
print(json.dumps({"rows": report.rows_written, "base_kb": base // 1024, "peak_kb": peak_kb,
                  "seconds": seconds, "ok": report.ok, "fetch_seconds": fetch_seconds,
                  "fetched": fetched}))
"""


def _memory_run(data_module: str, company: int) -> dict:
    sandbox = vnkit.sandbox.start(data_module=data_module, generation_timeout=1800)
    try:
        with tempfile.TemporaryDirectory() as folder:
            out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, sandbox.url,
                                  str(company), folder], capture_output=True, text=True,
                                 check=True)
            return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        sandbox.stop()


def bench_memory() -> None:
    small = _memory_run("vnkit.sandbox._seed", 3480712)
    large = _memory_run("benchdata", 9100001)
    for label, run in (("1x", small), ("5x", large)):
        grown = (run["peak_kb"] - run["base_kb"]) / 1024
        print(f"memory {label}: {run['rows']:,} customers synced in {run['seconds']:.1f} s "
              f"({run['rows'] / run['seconds']:,.0f} rows/s); peak RSS during the sync "
              f"{run['peak_kb'] / 1024:.0f} MB, {grown:.0f} MB above the signed-in process "
              f"before it; fetch of the same rows: {run['fetch_seconds']:.1f} s")
    ratio = ((large["peak_kb"] - large["base_kb"]) / max(1, small["peak_kb"] - small["base_kb"]))
    print(f"memory growth 5x rows / 1x rows: {ratio:.2f}x")


def _dataset_check(sandbox, ids, folder) -> dict:
    """The dataset against a fresh ``fetch`` of every company's endpoints.

    lost: keys the API has that the view lacks; extra: keys the view has that the API
    does not; duplicated: keys the view shows twice; stale: keys whose
    ``lastModifiedDateTime`` in the view is not the API's.
    """
    counts = {"records": 0, "lost": 0, "extra": 0, "duplicated": 0, "stale": 0}
    for endpoint in ENDPOINTS:
        key = KEYS[endpoint]
        got = vnkit.sql(f'select company_id, "{key}" as k, "lastModifiedDateTime" as m '
                        f"from {endpoint}", folder)
        counts["duplicated"] += int(got.duplicated(["company_id", "k"]).sum())
        for company in ids:
            with connect(sandbox, company=company, progress=False) as client:
                truth = client.fetch(endpoint)
            want = dict(zip(truth[key], truth["lastModifiedDateTime"]))
            mine = got[got["company_id"] == int(company)]
            have = dict(zip(mine["k"], mine["m"]))
            counts["records"] += len(want)
            counts["lost"] += len(want.keys() - have.keys())
            counts["extra"] += len(have.keys() - want.keys())
            counts["stale"] += sum(have[k] != want[k] for k in want.keys() & have.keys())
    return counts


def bench_kill_and_resume(kills: int, companies: int, seed: int = 7) -> None:
    """``vnkit sync`` killed (SIGKILL) at random points ``kills`` times, then run to the end.

    The kill points are spread over the length of an uninterrupted run of the same kind
    (a first or ``--full`` run, or one that reads changes; both timed first, into a
    folder of their own), so they land in every phase: starting up, signing in, reading
    pages, writing files, listing them, moving watermarks, compacting. About one run in
    five is ``--full`` (everything read again); every fifth run, a customer is changed
    in the API first, so the runs that follow have changes to carry.
    """
    rng = random.Random(seed)
    sandbox = vnkit.sandbox.start(data_module="vnkit.sandbox._firm")
    try:
        ids = [str(c.company_id) for c in sandbox.credentials.companies][:companies]
        with tempfile.TemporaryDirectory() as folder, \
                tempfile.TemporaryDirectory() as probe:
            def command(to: str, full: bool = False) -> list[str]:
                line = [sys.executable, "-m", "vnkit", "sync", "--sandbox", sandbox.url,
                        "--to", to, "--no-progress", "--max-in-flight", "2"]
                for company in ids:
                    line += ["--company", company]
                return line + (["--full"] if full else [])

            lengths = []
            for _ in range(2):  # a first run, then one that reads changes
                started = time.perf_counter()
                subprocess.run(command(probe), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=True)
                lengths.append(time.perf_counter() - started)
            whole, changes_only = lengths
            writer = connect(sandbox, scopes="all", progress=False)
            killed = finished = fulls = changes = 0
            delays = []
            for run in range(kills):
                if run % 5 == 4:
                    company = rng.choice(ids)
                    writer.use_company(company)
                    number = rng.choice(list(writer.fetch("customer")["number"]))
                    writer.update("customer", number, {"name": f"Endret {run} AS"})
                    changes += 1
                full = rng.random() < 0.2
                fulls += full
                process = subprocess.Popen(command(folder, full), stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)
                # The first run and --full runs read everything; the others, changes.
                longest = whole if full or not killed + finished or not finished else \
                    changes_only
                delay = rng.uniform(0.3, longest)
                delays.append(delay)
                try:
                    process.wait(timeout=delay)
                    finished += 1
                except subprocess.TimeoutExpired:
                    process.kill()  # SIGKILL: no clean-up of any kind
                    process.wait()
                    killed += 1
            writer.close()
            final = subprocess.run(command(folder), capture_output=True, text=True)
            counts = _dataset_check(sandbox, ids, folder)
            print(f"kill and resume: {kills} runs of `vnkit sync` ({len(ids)} companies, "
                  f"{fulls} of them --full; uninterrupted, a first run takes {whole:.1f} s "
                  f"and one that reads changes {changes_only:.1f} s); "
                  f"{killed} killed with SIGKILL after {min(delays):.1f}-{max(delays):.1f} s, "
                  f"{finished} finished before their kill; {changes} customers changed "
                  f"between runs; final run exit code {final.returncode}")
            print(f"kill and resume: {counts['records']:,} records: {counts['lost']} lost, "
                  f"{counts['duplicated']} duplicated, {counts['extra']} extra, "
                  f"{counts['stale']} stale")
    finally:
        sandbox.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=300)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--kill-companies", type=int, default=40)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--only-memory", action="store_true")
    parser.add_argument("--only-kills", action="store_true")
    parser.add_argument("--only-companies", action="store_true")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}")
    if args.only_companies:
        bench_many_companies(args.companies)
        return
    if args.only_kills:
        bench_kill_and_resume(args.kills, args.kill_companies)
        return
    if not args.only_memory:
        bench_many_companies(args.companies)
        bench_kill_and_resume(args.kills, args.kill_companies)
    if not args.skip_memory:
        bench_memory()


if __name__ == "__main__":
    main()
