#!/usr/bin/env python3
"""Loads an HFTP server in bursts and prints its RSS before, at the peak, and 30 s after each burst ends.

Usage: memory.py PORT SERVER_PID [scenario ...]   (scenarios: burst, stalled, idle; default all three)
Expects the served directory to hold m20.bin (20 MiB) and g100.bin (100 MiB); bench/memory.sh sets it up.
Every loop is bounded in count and time; only loopback is used.
"""
import socket
import sys
import threading
import time

HOST = "127.0.0.1"
SETTLE_SECONDS = 30
MIB = 1024 * 1024


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Sampler:
    """Samples the server's RSS every 100 ms; keeps the peak."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            self._stop.wait(0.1)

    def stop(self):
        self._stop.set()
        self._thread.join()


def read_exactly(sock, count):
    remaining = count
    while remaining > 0:
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            raise EOFError(f"closed with {remaining} bytes to go")
        remaining -= len(chunk)


def burst(port, clients=500, size=20 * MIB):
    """500 clients each read a whole 20 MiB slice, all at once."""
    reply = len(b"0 OK\r\n") + (size + 2) // 3 * 4 + 2
    start, failures = threading.Barrier(clients), []

    def client():
        try:
            with socket.create_connection((HOST, port), timeout=120) as sock:
                start.wait(timeout=60)
                sock.sendall(f"get_slice m20.bin 0 {size}\r\n".encode())
                read_exactly(sock, reply)
        except Exception as error:  # counted and reported, never fatal for the measurement
            failures.append(repr(error))

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    return f"{clients} clients x {size // MIB} MiB slice, {len(failures)} failed"


def stalled(port, clients=1000, size=100 * MIB, hold_seconds=5):
    """1000 clients ask for a 100 MiB slice, read nothing, then disconnect."""
    sockets = []
    for _ in range(clients):
        sock = socket.create_connection((HOST, port), timeout=30)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(f"get_slice g100.bin 0 {size}\r\n".encode())
        sockets.append(sock)
    time.sleep(hold_seconds)  # the server fills every socket and blocks in send
    for sock in sockets:
        sock.close()
    return f"{clients} stalled readers of a {size // MIB} MiB slice, held {hold_seconds} s"


def idle(port, clients=10000, hold_seconds=5):
    """10,000 connections opened, held idle, then closed."""
    sockets = [socket.create_connection((HOST, port), timeout=30) for _ in range(clients)]
    time.sleep(hold_seconds)
    for sock in sockets:
        sock.close()
    return f"{clients} idle connections, held {hold_seconds} s"


def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    scenarios = sys.argv[3:] or ["burst", "stalled", "idle"]
    loads = {"burst": burst, "stalled": stalled, "idle": idle}
    for name in scenarios:
        before = rss_kib(pid)
        sampler = Sampler(pid)
        started = time.monotonic()
        what = loads[name](port)
        took = time.monotonic() - started
        sampler.stop()
        time.sleep(SETTLE_SECONDS)
        after = rss_kib(pid)
        verdict = "ok" if after - before <= 64 * 1024 else "OVER"
        print(f"{name:8s} {what}: load {took:.1f} s; RSS before {before / 1024:.0f} MiB, peak {sampler.peak / 1024:.0f} MiB, "
              f"{SETTLE_SECONDS} s after {after / 1024:.0f} MiB ({(after - before) / 1024:+.0f} MiB, {verdict})", flush=True)
        print(f"RESULT scenario={name} before_mib={before / 1024:.0f} peak_mib={sampler.peak / 1024:.0f} after_mib={after / 1024:.0f}", flush=True)


if __name__ == "__main__":
    main()
