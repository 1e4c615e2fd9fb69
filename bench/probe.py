"""An independent fresh-client probe (no .NET, no shared code): opens a new connection per request at a fixed
rate, sends get_metadata FILE, reads the reply, and prints latency percentiles. bench/run.sh runs it beside
`hftp-benchmark slowloris` to cross-check the load's own probe.
Usage: python3 bench/probe.py --port PORT --file NAME [--seconds 10] [--rate 10] [--count N] [--label python_probe]
(--count: stop after N requests, within the seconds still; bench/client-allocations.sh uses it)"""
import argparse
import socket
import time

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--file", required=True)
parser.add_argument("--seconds", type=float, default=10)
parser.add_argument("--rate", type=float, default=10)
parser.add_argument("--count", type=int, default=None)
parser.add_argument("--label", default="python_probe")
args = parser.parse_args()

request = f"get_metadata {args.file}\r\n".encode("ascii")
latencies, failures = [], 0
deadline = time.monotonic() + args.seconds
next_at = time.monotonic()
while time.monotonic() < deadline and (args.count is None or len(latencies) + failures < args.count):
    started = time.perf_counter()
    try:
        with socket.create_connection((args.host, args.port), timeout=5) as connection:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.sendall(request)
            reply = b""
            while reply.count(b"\r\n") < 2:
                chunk = connection.recv(256)
                if not chunk:
                    break
                reply += chunk
        if not reply.startswith(b"0 OK\r\n") or reply.count(b"\r\n") != 2:
            raise ValueError(f"wrong reply {reply!r}")
        latencies.append((time.perf_counter() - started) * 1000)
    except (OSError, ValueError) as error:
        failures += 1
        print(f"probe failed: {error}")
    next_at += 1 / args.rate
    time.sleep(max(0.0, next_at - time.monotonic()))

latencies.sort()


def percentile(fraction):
    return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] if latencies else float("nan")


print(f"python probe: {len(latencies)} requests, {failures} failed; p50 {percentile(0.5):.3f} ms, "
      f"p99 {percentile(0.99):.3f} ms, max {max(latencies, default=float('nan')):.3f} ms")
print(f"{args.label} requests={len(latencies)} failures={failures} p50_ms={percentile(0.5):.3f} "
      f"p99_ms={percentile(0.99):.3f} max_ms={max(latencies, default=float('nan')):.3f}")
