"""Benchmark: peak memory of a fake run, full history against chained. Not a test.

Issue 11, point 4. Baseline (the issue, at 4e33dc5): the fake server's memory
grows with the square of the steps in full-history runs: 467 MB of a 671 MiB
peak for 50 steps of ~270 KB PNGs. Goal: the peak RSS of a 50-step
full-history fake run within 1.5x of the chained one.

``runs`` mode (the default): each run is a fresh child process (this script
with ``--child``) that does one ``--steps`` (default 50) run of
tools/bench_cassette.py's traffic: the loop engine over the real SDK against the
in-process fake server (``cua_replay.server.FakeResponsesServer``), a stand-in
executor handing out distinct ~270 KB PNGs, in ``chain`` history
(``previous_response_id``) or ``full`` history (``store=False``, the whole
history resent every step). The child reports its peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``). An ``idle`` child (the same
imports and PNGs loaded, no run) shows the floor. Children alternate
(chain, full, full, chain, ...) ``--repeat`` times; medians; ratio full/chain.

``--delete`` mode (issue 16): one child starts the fake server in-process and
posts ``--posts`` (default 150) chained follow-up requests, each with a
~2.4 MB PNG screenshot (1024x768 random pixels, base64 data URL) over one
keep-alive connection, then DELETEs every response and runs ``gc.collect()``;
it reports its current RSS (``VmRSS``) after start-up, after the posts and
after the deletes. Memory the server lets go of on DELETE shows as a drop.
With ``--distinct`` every post carries a different screenshot (the same PNG with
a ``tEXt`` chunk naming the post, so no two are alike and none costs an encode),
as a real run's do: the issue's 150-screenshot figure (65 -> 526 MB, still 526
after the DELETEs) is of this kind. Without it every post resends one image,
which the server keeps once.

Measured (2 shared cores, load 10-40; ``--delete --distinct``, 150 posts, MiB):
at 84b606d 71.7 started, 540.1 after the posts, 534.0 after the DELETEs; with
``malloc_trim`` after a DELETE that forgets images (server/state.py) 72.0, 549.4,
69.6. One and the same screenshot: 71.6 / 85.0 / 79.0 before, 72.1 / 88.5 / 72.8
after. What the posts hold is what the stored responses list, as the service
keeps them; the DELETEs now hand it back to the system.

The package is whichever ``cua_replay`` this interpreter imports (set
``PYTHONPATH`` to a checkout; the children inherit it).

Usage: python tools/bench_server_memory.py [--steps 50] [--repeat 3] [--quick]
       python tools/bench_server_memory.py --delete [--distinct] [--posts 150] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TOOLS = Path(__file__).resolve().parent
GOAL = 1.5


def _tools_module(name: str) -> Any:
    """A sibling benchmark as a module (its traffic generator, its HTTP helpers)."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    return __import__(name)


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- the children ------------------------------------------------------------------------------


def child_run(history: str, steps: int) -> dict[str, Any]:
    bench = _tools_module("bench_cassette")  # imports the SDK, the loop and the fake server
    pngs = bench.screenshots(steps)
    gc.collect()
    before = _rss_mib()
    started = time.perf_counter()
    if history != "idle":
        work = Path(os.environ.get("TMPDIR", "/tmp"))
        bench.run_plain(bench.Workload(history, steps, pngs, work))
    return {
        "history": history,
        "steps": steps,
        "rss_before_mib": before,
        "peak_mib": _peak_mib(),
        "seconds": time.perf_counter() - started,
    }


def _tagged(png: bytes, tag: int) -> bytes:
    """``png`` with a ``tEXt`` chunk before ``IEND``: a valid, different image per ``tag``."""
    import struct
    import zlib

    payload = b"tEXt" + b"post\x00" + str(tag).encode()
    chunk = struct.pack(">I", len(payload) - 4) + payload + struct.pack(">I", zlib.crc32(payload))
    return png[:-12] + chunk + png[-12:]


def child_delete(posts: int, png_bytes: int, distinct: bool) -> dict[str, Any]:
    import io
    import random
    from urllib.parse import urlsplit

    from PIL import Image

    from cua_replay.server import FakeResponsesServer, Scenario

    server_bench = _tools_module("bench_server")
    width, height = 1024, max(1, png_bytes // (3 * 1024))  # random pixels do not compress
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), random.Random(16).randbytes(width * height * 3)).save(
        out, "PNG", compress_level=1
    )
    png = out.getvalue()
    image = server_bench.data_url(png)
    click = {"type": "click", "button": "left", "x": 10, "y": 10}
    scenario = Scenario.model_validate(
        {
            "name": "bench",
            "task": "t",
            "turns": [{"actions": [click]}] * (posts + 1) + [{"message": "done"}],
        }
    )
    report: dict[str, Any] = {
        "posts": posts,
        "png_bytes": len(png),
        "data_url_chars": len(image),
        "distinct": distinct,
    }
    with FakeResponsesServer(scenario, seed="bench") as server:
        client = server_bench.Client(urlsplit(server.urls.openai_base_url).port or 80)
        try:
            gc.collect()
            report["rss_started_mib"] = _rss_mib()
            _, last = client.post(server_bench._encode(server_bench._first_body(None)))
            ids = [last["id"]]
            for index in range(posts):
                if distinct:
                    image = server_bench.data_url(_tagged(png, index))
                body = server_bench._encode(server_bench._follow_up_body(last, image))
                _, last = client.post(body)
                ids.append(last["id"])
                del body
            gc.collect()
            report["rss_after_posts_mib"] = _rss_mib()
            for response_id in ids:
                client.conn.request(
                    "DELETE", f"{server_bench.PATH}/{response_id}", headers=server_bench.HEADERS
                )
                reply = client.conn.getresponse()
                reply.read()
                if reply.status != 200:
                    raise RuntimeError(f"DELETE {response_id}: HTTP {reply.status}")
            gc.collect()
            report["rss_after_deletes_mib"] = _rss_mib()
        finally:
            client.close()
    report["peak_mib"] = _peak_mib()
    return report


# -- the parent --------------------------------------------------------------------------------


def spawn(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main_runs(args: argparse.Namespace) -> dict[str, Any]:
    _tools_module("bench_cassette").screenshots(args.steps)  # build the PNG cache, untimed
    samples: dict[str, list[dict[str, Any]]] = {"idle": [], "chain": [], "full": []}
    samples["idle"].append(spawn("idle", str(args.steps)))
    for index in range(args.repeat):
        for history in ("chain", "full") if index % 2 == 0 else ("full", "chain"):
            result = spawn(history, str(args.steps))
            samples[history].append(result)
            print(
                f"  {history:<5} peak {result['peak_mib']:7.1f} MiB ({result['seconds']:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
    print(
        f"{args.steps}-step fake runs (bench_cassette traffic: loop + SDK + in-process fake "
        f"server, ~270 KB PNGs), one child process each, {args.repeat} per history, alternating; "
        "peak RSS (ru_maxrss), medians"
    )
    print()
    print(f"{'history':<8} {'n':>2} {'peak MiB':>9} {'min':>7} {'max':>7} {'over idle MiB':>14}")
    idle = statistics.median(s["peak_mib"] for s in samples["idle"])
    medians = {}
    for history, runs in samples.items():
        peaks = [s["peak_mib"] for s in runs]
        medians[history] = statistics.median(peaks)
        print(
            f"{history:<8} {len(peaks):>2} {medians[history]:>9.1f} {min(peaks):>7.1f} "
            f"{max(peaks):>7.1f} {medians[history] - idle:>14.1f}"
        )
    ratio = medians["full"] / medians["chain"]
    print(
        f"\ngoal: full-history peak <= {GOAL}x chained: {'PASS' if ratio <= GOAL else 'MISS'} "
        f"({ratio:.2f}x; above idle: {(medians['full'] - idle) / (medians['chain'] - idle):.1f}x)"
    )
    return {"steps": args.steps, "samples": samples, "ratio": ratio}


def main_delete(args: argparse.Namespace) -> dict[str, Any]:
    result = spawn("delete", str(args.posts), str(args.png_bytes), str(int(args.distinct)))
    kind = "distinct" if result["distinct"] else "one and the same"
    print(
        f"issue 16: {result['posts']} accepted follow-ups, each with {kind} "
        f"{result['png_bytes'] / 1e6:.2f} MB "
        f"PNG ({result['data_url_chars'] / 1e6:.2f} M-char data URL) to the in-process fake "
        "server, then DELETE of every response and gc.collect(); current RSS (VmRSS):"
    )
    print()
    for key, label in (
        ("rss_started_mib", "server started"),
        ("rss_after_posts_mib", "after the posts"),
        ("rss_after_deletes_mib", "after the DELETEs"),
        ("peak_mib", "peak (ru_maxrss)"),
    ):
        print(f"  {label:<18} {result[key]:8.1f} MiB")
    held = result["rss_after_posts_mib"] - result["rss_started_mib"]
    freed = result["rss_after_posts_mib"] - result["rss_after_deletes_mib"]
    print(f"\n  held after the posts {held:.1f} MiB; released by the DELETEs {freed:.1f} MiB")
    return result


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--child"]:
        mode, *rest = argv[1:]
        if mode == "delete":
            result = child_delete(int(rest[0]), int(rest[1]), rest[2] == "1")
        else:
            result = child_run(mode, int(rest[0]))
        print(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50, help="responses per run (default 50)")
    parser.add_argument("--repeat", type=int, default=3, help="children per history")
    parser.add_argument("--delete", action="store_true", help="issue 16's DELETE mode instead")
    parser.add_argument(
        "--distinct", action="store_true", help="--delete: a different screenshot every post"
    )
    parser.add_argument("--posts", type=int, default=150, help="--delete: screenshots posted")
    parser.add_argument("--png-bytes", type=int, default=2_400_000, help="--delete: PNG size")
    parser.add_argument("--quick", action="store_true", help="smoke: 6 steps / 5 posts, 1 repeat")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write raw numbers here")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.repeat, args.posts = 6, 1, 5
    if args.steps < 2 or args.repeat < 1 or args.posts < 1:
        parser.error("--steps must be >= 2, --repeat and --posts >= 1")
    import cua_replay

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    print(f"package: {Path(cua_replay.__file__).resolve().parent}")
    report = main_delete(args) if args.delete else main_runs(args)
    print(
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; "
        f"total wall time {time.perf_counter() - started:.1f} s"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
