"""`python -m wattdesk_local`: the local runtime with the web pages (what `make run` starts)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

from wattdesk_local.runtime import PROJECT_ROOT, LocalRuntime, RuntimeOptions
from wattdesk_local.server import MaskingFilter, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wattdesk_local", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--state-dir", type=Path, default=PROJECT_ROOT / ".wattdesk", help="where data is kept between runs")
    parser.add_argument("--no-state", action="store_true", help="start empty and save nothing")
    parser.add_argument("--start", help="ISO date-time to start the simulated clock at (default: now, or where the last run left it)")
    parser.add_argument("--frozen-clock", action="store_true", help="the clock moves only through POST /_local/clock")
    parser.add_argument("--verbose", action="store_true", help="show the handlers' Powertools JSON logs")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("wattdesk_local").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    logging.getLogger("wattdesk_local").addFilter(MaskingFilter())

    start = datetime.fromisoformat(args.start.replace("Z", "+00:00")) if args.start else None
    runtime = LocalRuntime(
        RuntimeOptions(
            state_dir=None if args.no_state else args.state_dir,
            start_time=start,
            ticking_clock=not args.frozen_clock,
            verbose=args.verbose,
        )
    )
    runtime.start()

    def shutdown(signum: int, _frame: object) -> None:
        # Handlers run in the main thread, which is inside serve_forever: unwind it like Ctrl-C.
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, shutdown)
    try:
        serve(runtime, args.host, args.port, PROJECT_ROOT / "web")
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop(save=not args.no_state)
        logging.getLogger("wattdesk_local").info("stopped; data saved" if not args.no_state else "stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
