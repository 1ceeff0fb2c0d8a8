"""Measure the CPU one @connections post costs the broadcast function, and size its shards from it.

Posts the same translated segment (a ~2 KB caption payload, or --payload-bytes) to a loopback
server that answers 200 at once (in its own process, so its CPU is not counted), N times, with
the function's fan-out threads, through two paths:

- ``botocore``: ``post_to_connection`` on the management client (aws.py), as every function posts;
- ``signed``: the broadcast's path (babelcast/integration/signed_posts.py), SigV4 over urllib3.

Prints process CPU per post (time.process_time: every thread of this process) and the shard
size that keeps one shard's delivery under the target on a Lambda with the given vCPU share:
  shard_seconds = size * (cpu_per_post / vcpu + round_trip / threads)

    .venv/bin/python scripts/measure_post_cpu.py [--posts 3000] [--round-trip-ms 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

SERVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
server = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def measure(name: str, post: Callable[[str], object], posts: int, threads: int) -> float:
    for n in range(50):  # warm: pool connections, credentials, client creation
        post(f"warm{n}")
    ids = [f"Abc{n:06d}xyzQ=" for n in range(posts)]
    cpu, wall = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(post, ids))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    per_post_ms = cpu / posts * 1000
    print(f"{name:9s} {posts} posts, {threads} threads: CPU {per_post_ms:.3f} ms/post, wall {wall:.2f} s")
    return per_post_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--payload-bytes", type=int, default=2000)
    parser.add_argument("--round-trip-ms", type=float, default=20.0)
    parser.add_argument("--vcpu", type=float, default=1.0, help="the function's vCPU share (1769 MB = 1 vCPU)")
    parser.add_argument("--target-seconds", type=float, default=0.5, help="one shard's delivery time")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        endpoint = f"http://127.0.0.1:{port}/live"
        from babelcast.integration.aws import management_client
        from babelcast.integration.signed_posts import signed_request

        payload = {"type": "translation", "sequence": 42, "translatedText": "x" * args.payload_bytes}
        client = management_client(endpoint)
        print(f"payload {len(json.dumps(payload))} bytes, loopback server (its CPU not counted)")
        botocore_ms = measure(
            "botocore",
            lambda c: client.post_to_connection(ConnectionId=c, Data=json.dumps(payload).encode()),
            args.posts,
            args.threads,
        )
        signed_ms = measure(
            "signed",
            lambda c: signed_request(
                "apigatewaymanagementapi", "PostToConnection", endpoint, c, json.dumps(payload).encode()
            ),
            args.posts,
            args.threads,
        )
    finally:
        server.terminate()
        server.wait()
    print(f"signed path: {botocore_ms / signed_ms:.1f}x less CPU per post than botocore")
    rtt = args.round_trip_ms / 1000
    for name, cpu_ms in (("botocore", botocore_ms), ("signed", signed_ms)):
        per_post = cpu_ms / 1000 / args.vcpu + rtt / args.threads
        size = int(args.target_seconds / per_post)
        print(
            f"{name:9s} at {args.vcpu:g} vCPU, {args.round_trip_ms:g} ms round trip, {args.threads} threads: "
            f"{per_post * 1000:.3f} ms per post -> {size} posts per shard in {args.target_seconds:g} s, "
            f"{1 / per_post:.0f} posts/s per invocation"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
