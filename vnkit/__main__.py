"""Command line of vnkit: ``python -m vnkit sandbox`` (or the ``vnkit`` script).

``vnkit sync --to DIR`` pulls many companies' list endpoints into a Parquet dataset
(see ``vnkit.sync``); ``--sandbox URL`` points it at a running sandbox, otherwise the
``VNKIT_*`` environment variables say where and who.

``vnkit sandbox`` serves the local emulator of the Visma.net ERP API and prints the demo
credentials: the one place the demo client secret is shown, because signing in from a
browser or from Postman needs it; and the demo users to sign in as on its sign-in page.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def _sandbox_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sandbox", help="run the local Visma.net ERP API sandbox",
                       description="Serve the Visma.net ERP API emulator with demo data.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on "
                   "(default 127.0.0.1; the sandbox is meant for this machine only)")
    p.add_argument("--port", type=int, default=0,
                   help="port to listen on (default: any free port)")
    p.add_argument("--db", default=None, help="working database file, kept across runs "
                   "(default: a fresh copy of the demo data for this run only)")
    p.add_argument("--reset", action="store_true",
                   help="start from a fresh copy of the demo data")
    p.add_argument("--latency-ms", type=float, default=None,
                   help="milliseconds added to every API answer")
    p.add_argument("--token-ttl", type=int, default=None,
                   help="lifetime of access tokens in seconds")
    p.add_argument("--seed", type=int, default=None, help="seed of the demo data")
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.add_argument("--settings-json", default=None, help=argparse.SUPPRESS)
    p.add_argument("--ready-json", action="store_true", help=argparse.SUPPRESS)


def _sync_parser(sub: argparse._SubParsersAction) -> None:
    from vnkit._sync import DELETIONS  # light: pyarrow loads only when a sync writes

    p = sub.add_parser("sync", help="pull companies' list endpoints into a Parquet dataset",
                       description="Sync list endpoints of many companies into a Parquet "
                                   "dataset, incrementally (see vnkit.sync).")
    p.add_argument("--to", required=True, help="dataset folder (created)")
    p.add_argument("--sandbox", metavar="URL", default=None,
                   help="a running vnkit sandbox (default: VNKIT_* environment variables)")
    p.add_argument("--company", action="append", default=None, metavar="ID_OR_NAME",
                   help="a company to sync (repeat; default: all the token reaches)")
    p.add_argument("--endpoint", action="append", default=None, metavar="NAME",
                   help="an endpoint to sync (repeat; default: customer, supplier, "
                        "customerinvoice)")
    p.add_argument("--overlap-minutes", type=float, default=None,
                   help="re-read this far before the newest change seen (default 10)")
    p.add_argument("--max-in-flight", type=int, default=8,
                   help="requests in flight across all companies (default 8)")
    p.add_argument("--page-workers", type=int, default=2,
                   help="concurrent pages within one company's endpoint (default 2)")
    p.add_argument("--full", action="store_true", help="ignore the watermarks, read all")
    p.add_argument("--deletions", choices=DELETIONS, default="full",
                   help="how records deleted in the API leave the dataset: on --full runs "
                        "(default), checked on every run (one extra call per company and "
                        "endpoint), or never")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _run_sync(args: argparse.Namespace) -> int:
    import vnkit
    from vnkit._sync import DEFAULT_ENDPOINTS, DEFAULT_OVERLAP, sync

    target = None
    if args.sandbox:
        from vnkit.sandbox import Sandbox

        target = Sandbox.attach(args.sandbox)
    client = vnkit.connect(target, progress=False)
    try:
        overlap = (DEFAULT_OVERLAP if args.overlap_minutes is None
                   else args.overlap_minutes * 60.0)
        report = sync(client, to=args.to, companies=args.company,
                      endpoints=args.endpoint or DEFAULT_ENDPOINTS, overlap=overlap,
                      max_in_flight=args.max_in_flight, page_workers=args.page_workers,
                      full=args.full, deletions=args.deletions,
                      progress=not args.no_progress)
    finally:
        client.close()
    print(repr(report))
    print(f"{report.calls} calls, {report.rows_written} rows written in "
          f"{report.seconds:.1f} s to {report.path}")
    return 0 if report.ok else 1


def _settings_from(args: argparse.Namespace):
    from vnkit.sandbox._settings import Settings

    values = json.loads(args.settings_json) if args.settings_json else {}
    for name in ("latency_ms", "token_ttl", "seed"):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    if args.access_log:
        values["access_log"] = True
    return Settings.from_json(json.dumps(values))


def _demo_users() -> list[dict]:
    """The sandbox's demo users, or none for a vnkit without its sign-in pages."""
    try:
        from vnkit.sandbox import demo_users

        return demo_users()
    except (ImportError, AttributeError):
        return []


def print_banner(ready: dict, out=None) -> None:
    """The human-readable start message: URL, endpoints and the demo credentials."""
    out = out or sys.stdout
    url = ready["url"]
    rows = [("Company", "company id (ipp-company-id)", "tenant_id")]
    rows += [(c["name"], str(c["company_id"]), c["tenant_id"]) for c in ready["companies"]]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    line = "  ".join("-" * w for w in widths)
    print(f"vnkit sandbox running at {url}   (Ctrl+C stops it)", file=out)
    print(f"  API          {url}/v1/...   (legacy layout: {url}/API/controller/api/v1/...)",
          file=out)
    print(f"  token        {url}/connect/token", file=out)
    print(f"  Swagger UI   {url}/API-index/", file=out)
    print(f"  database     {ready['db']}", file=out)
    print("", file=out)
    print("DEMO credentials (sandbox only, not valid anywhere else):", file=out)
    print(f"  client_id      {ready['client_id']}", file=out)
    print(f"  client_secret  {ready['client_secret']}", file=out)
    print("  scope          vismanet_erp_service_api:read (also :create :update :delete)",
          file=out)
    print("", file=out)
    users = _demo_users()
    if users:
        # The interactive (and legacy) sign-in pages ask for a person: say who.
        print("DEMO users for the sign-in page of the interactive and legacy flows "
              "(sandbox only):", file=out)
        width = max(len(u["email"]) for u in users)
        for u in users:
            note = {"all": "API User in every company", "first": "API User in the first "
                    "company only", "none": "no API User role: shows the refusal"}.get(
                        u["api_user"], u["api_user"])
            print(f"  {u['email'].ljust(width)}  password {u['password']}  ({note})", file=out)
        print("", file=out)
    for i, row in enumerate(rows):
        print(("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths))).rstrip(),
              file=out)
        if i == 0:
            print("  " + line, file=out)
    out.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m vnkit`` and the ``vnkit`` console script."""
    parser = argparse.ArgumentParser(prog="vnkit", description="vnkit command line")
    sub = parser.add_subparsers(dest="command", required=True)
    _sandbox_parser(sub)
    _sync_parser(sub)
    args = parser.parse_args(argv)

    if args.command == "sync":
        return _run_sync(args)

    if args.command == "sandbox":
        from vnkit.sandbox._server import serve

        try:
            settings = _settings_from(args)
        except (ValueError, TypeError) as exc:
            parser.error(str(exc))
        try:
            serve(settings, host=args.host, port=args.port, db=args.db, reset=args.reset,
                  ready_json=args.ready_json, announce=print_banner)
        except KeyboardInterrupt:
            pass
        return 0
    return 2  # pragma: no cover - argparse already refused unknown commands


if __name__ == "__main__":
    sys.exit(main())
