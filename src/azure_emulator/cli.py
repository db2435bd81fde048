"""``azure-emulator``: serve the emulator over HTTPS, or write a world file.

    azure-emulator serve --port 8443 [--host 127.0.0.1] [--world FILE | --seed N --size small]
                         [--tag-demo] [--latency-ms N] [--state-dir DIR]
    azure-emulator world --seed N --size small [--tag-demo] --out world.json
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DEFAULT_STATE_DIR = Path(".azure-emulator")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from azure_emulator.certs import ensure_certs
    from azure_emulator.config import describe
    from azure_emulator.server import create_app
    from azure_emulator.world.generate import generate_world
    from azure_emulator.world.io import load_world

    state_dir = Path(args.state_dir).resolve()
    certs = ensure_certs(state_dir)
    started = time.perf_counter()
    if args.world:
        world = load_world(args.world)
        factory = lambda: load_world(args.world)  # noqa: E731
    else:
        world = generate_world(args.seed, args.size, tag_demo=args.tag_demo)
        factory = lambda: generate_world(args.seed, args.size, tag_demo=args.tag_demo)  # noqa: E731
    host_part = f"[{args.host}]" if ":" in args.host else args.host
    public_host = args.public_host or host_part
    base_url = f"https://{public_host}:{args.port}"
    app = create_app(world, base_url=base_url, state_dir=state_dir, world_factory=factory)
    if args.latency_ms:
        app.state.emulator.faults.latency_ms = float(args.latency_ms)
    print(describe(base_url, certs.ca, world.fixtures), flush=True)
    print(f"# World ready in {time.perf_counter() - started:.2f}s; serving {base_url}", file=sys.stderr, flush=True)
    uvicorn.run(
        app, host=args.host, port=args.port, ssl_certfile=str(certs.cert), ssl_keyfile=str(certs.key),
        log_level=args.log_level, access_log=False, lifespan="off", timeout_keep_alive=30,
    )
    return 0


def _world(args: argparse.Namespace) -> int:
    from azure_emulator.world.generate import generate_world
    from azure_emulator.world.io import save_world

    world = generate_world(args.seed, args.size, tag_demo=args.tag_demo)
    save_world(world, args.out)
    print(f"wrote {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="azure-emulator", description="An HTTPS emulator of the Microsoft cloud endpoints skytally calls.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the emulator over HTTPS")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--public-host", default=None, help="host name in URLs (default: --host)")
    src = serve.add_mutually_exclusive_group()
    src.add_argument("--world", help="world file (JSON or YAML)")
    src.add_argument("--seed", type=int, default=1)
    serve.add_argument("--size", choices=["small", "medium", "large", "bench"], default="small")
    serve.add_argument("--state-dir", default=str(DEFAULT_STATE_DIR), help="where ca.pem and keys live")
    serve.add_argument("--log-level", default="warning")
    serve.add_argument("--tag-demo", action="store_true", help="add the tag-governance scenario (docs/emulator.md)")
    serve.add_argument("--latency-ms", type=float, default=0.0, help="latency added to every request but the control API")
    serve.set_defaults(func=_serve)
    world = sub.add_parser("world", help="write a generated world to a file")
    world.add_argument("--seed", type=int, default=1)
    world.add_argument("--size", choices=["small", "medium", "large", "bench"], default="small")
    world.add_argument("--tag-demo", action="store_true", help="add the tag-governance scenario")
    world.add_argument("--out", required=True)
    world.set_defaults(func=_world)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
