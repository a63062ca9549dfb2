"""``salver serve REPO``: serve a model repository over HTTP with the KServe v2 protocol."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

from app.server.config import ServerSettings

TOKEN_ENV = "SALVER_TOKEN"


def add_serve_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``serve`` subcommand to the ``salver`` command line."""
    defaults = ServerSettings()
    serve = subparsers.add_parser("serve", help="serve a model repository over HTTP (KServe v2 protocol)")
    serve.add_argument("repository", help="folder of models: REPO/<model>/<version>/<model file>")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--token", help=f"bearer token required on every endpoint but health (or ${TOKEN_ENV})")
    serve.add_argument("--workers", type=int, default=defaults.workers,
                       help=f"simulation worker processes (default {defaults.workers})")
    serve.add_argument("--idle-unload", type=float, default=defaults.idle_unload_s, metavar="SECONDS",
                       help=f"unload a model unused this long (default {defaults.idle_unload_s:g})")
    serve.add_argument("--max-body", type=int, default=defaults.max_body_bytes, metavar="BYTES",
                       help=f"largest request body accepted (default {defaults.max_body_bytes})")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(handler=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    """Run the server until interrupted; SIGINT/SIGTERM finish the requests in flight first."""
    import uvicorn

    from app.server.app import create_app
    from app.server.logs import configure_logging

    if args.workers < 1 or args.idle_unload <= 0 or args.max_body < 1:
        print("salver: error: --workers, --idle-unload and --max-body must be positive", file=sys.stderr)
        return 2
    settings = replace(ServerSettings(), workers=args.workers, idle_unload_s=args.idle_unload,
                       max_body_bytes=args.max_body)
    token = args.token or os.environ.get(TOKEN_ENV) or None
    configure_logging(args.log_level)
    try:
        app = create_app(args.repository, token=token, settings=settings)
    except ValueError as exc:
        print(f"salver: error: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False,
                log_level=args.log_level, timeout_graceful_shutdown=30)
    return 0
