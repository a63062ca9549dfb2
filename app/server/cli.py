"""``salver serve REPO``: serve a model repository over HTTP with the KServe v2 protocol."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from dataclasses import replace

from app.server.config import CONTROL_MODES, ServerSettings

TOKEN_ENV = "SALVER_TOKEN"


def add_serve_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``serve`` subcommand to the ``salver`` command line."""
    defaults = ServerSettings()
    serve = subparsers.add_parser("serve", help="serve a model repository over HTTP (KServe v2 protocol)")
    serve.add_argument("repository", help="folder of models: REPO/<model>/<version>/<model file>")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--grpc-port", type=int, help="also serve the KServe v2 gRPC service on this port")
    serve.add_argument("--token", help=f"bearer token required on every endpoint but health (or ${TOKEN_ENV})")
    serve.add_argument("--workers", type=int, default=defaults.workers,
                       help=f"simulation worker processes (default {defaults.workers})")
    serve.add_argument("--idle-unload", type=float, default=defaults.idle_unload_s, metavar="SECONDS",
                       help=f"unload a model unused this long (default {defaults.idle_unload_s:g})")
    serve.add_argument("--max-body", type=int, default=defaults.max_body_bytes, metavar="BYTES",
                       help=f"largest request body accepted (default {defaults.max_body_bytes})")
    serve.add_argument("--cache-bytes", type=int, default=defaults.cache_bytes, metavar="BYTES",
                       help=f"bytes of results the cache keeps (default {defaults.cache_bytes}; 0: no cache)")
    serve.add_argument("--async-results-bytes", type=int, default=defaults.async_results_bytes, metavar="BYTES",
                       help=f"bytes of finished asynchronous results kept (default {defaults.async_results_bytes})")
    serve.add_argument("--model-control-mode", default=defaults.control_mode, choices=CONTROL_MODES,
                       help="lazy: load on first request, reload on change, unload when idle (default); "
                            "Triton's none: load all at start; poll: load all, follow the folder; explicit: "
                            "load --load-model ones, then only on load requests")
    serve.add_argument("--load-model", action="append", default=[], metavar="NAME",
                       help="explicit mode: a model to load at start ('*': all); repeatable")
    serve.add_argument("--repository-poll-secs", type=float, default=defaults.poll_s, metavar="SECONDS",
                       help=f"poll mode: how often the folder is looked at (default {defaults.poll_s:g})")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(handler=serve_command)


GC_YOUNG_THRESHOLD = 10_000  # allocations between collections of the youngest generation (CPython: 700)


def tune_collector() -> None:
    """Set the serving process's cyclic garbage collector for many short requests: what exists at start
    (modules, the framework, the application) is frozen out of collections, and the youngest generation
    is collected after 10,000 allocations instead of 700. Collections of a server's few hundred live
    requests otherwise take about a third of its CPU per request; reference counting still frees
    everything that is not in a cycle at once."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, oldest)


def serve_command(args: argparse.Namespace) -> int:
    """Run the server until interrupted; SIGINT/SIGTERM finish the requests in flight first."""
    import uvicorn

    from app.server.app import create_app
    from app.server.logs import configure_logging

    if min(args.workers, args.idle_unload, args.max_body, args.repository_poll_secs) <= 0 or \
            min(args.cache_bytes, args.async_results_bytes) < 0:
        print("salver: error: --workers, --idle-unload, --max-body and --repository-poll-secs must be positive, "
              "--cache-bytes and --async-results-bytes not negative", file=sys.stderr)
        return 2
    settings = replace(ServerSettings(), workers=args.workers, idle_unload_s=args.idle_unload,
                       max_body_bytes=args.max_body, cache_bytes=args.cache_bytes,
                       async_results_bytes=args.async_results_bytes, control_mode=args.model_control_mode,
                       load_models=tuple(args.load_model), poll_s=args.repository_poll_secs)
    token = args.token or os.environ.get(TOKEN_ENV) or None
    configure_logging(args.log_level)
    try:
        app = create_app(args.repository, token=token, settings=settings, grpc_port=args.grpc_port,
                         grpc_host=args.host)
    except ValueError as exc:
        print(f"salver: error: {exc}", file=sys.stderr)
        return 2
    tune_collector()
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False,
                log_level=args.log_level, timeout_graceful_shutdown=30)
    return 0
