"""Serve the password service with waitress on a unix socket, behind nginx.

    python3 -m ansible_collections.hungyen.mail.plugins.module_utils.web.serve \\
        --config STATE_DIR/etc/web/web.json --socket STATE_DIR/run/web/app.sock

waitress (Debian's python3-waitress) is imported here only, so the application and its tests
need nothing beyond the standard library. nginx is the only peer on the socket: waitress
names it "localhost", trusts its X-Forwarded-Proto, and the application reads its
X-Real-IP (``app.client_address``). waitress writes no access log (no query string, no
body is ever logged); the application logs one line per change, without a secret, to
standard error (the journal, or mailserverctl's log).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .app import load_config, make_app


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the password service (waitress).")
    parser.add_argument("--config", required=True, help="web.json (keys: web/app.py)")
    parser.add_argument("--socket", required=True, help="the unix socket nginx connects to")
    parser.add_argument("--socket-mode", default="660",
                        help="the socket's mode in octal (default 660: owner and group)")
    parser.add_argument("--threads", type=int, default=4,
                        help="worker threads (each may wait for the helper; default 4)")
    return parser.parse_args(argv)


def serve_options(args: argparse.Namespace) -> dict:
    """waitress's settings for ``args``."""
    return {
        "unix_socket": args.socket, "unix_socket_perms": args.socket_mode,
        "threads": args.threads, "trusted_proxy": "localhost",
        "trusted_proxy_headers": {"x-forwarded-proto"}, "clear_untrusted_proxy_headers": True,
        "ident": "", "expose_tracebacks": False, "max_request_body_size": 65536,
        "channel_timeout": 120,
    }


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    try:
        app = make_app(load_config(args.config))
    except (OSError, ValueError) as error:
        sys.stderr.write(f"web: cannot read {args.config}: {error}\n")
        return 2
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    import waitress  # Debian's python3-waitress; only the server needs it

    os.umask(0o007)
    waitress.serve(app, **serve_options(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
