#!/usr/bin/env python3
"""Abusive HFTP clients for bench/limits.sh, on loopback only, bounded in count and time.

  hold      N clients each ask one get_metadata, then hold their connection for --seconds
  slowloris N clients send a never-ending request line, one byte every --interval seconds
  stalled   N clients ask for a --slice-byte slice and never read it

Every mode probes with fresh clients (connect, get_metadata, reply) while it runs and once the abusive
clients are gone, and ends with one line: RESULT key=value ...
"""
import argparse, selectors, socket, sys, threading, time

def connect(port, timeout=2.0, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s

def probe(port, name, timeout=5.0):
    """Seconds a fresh client takes to be answered, or None if it is not within timeout."""
    started = time.perf_counter()
    try:
        with connect(port, timeout) as s:
            s.sendall(f"get_metadata {name}\r\n".encode())
            reply = b""
            while not reply.endswith(b"\r\n") or reply.count(b"\r\n") < 2:
                chunk = s.recv(256)
                if not chunk:
                    return None
                reply += chunk
            return time.perf_counter() - started if reply.startswith(b"0 OK\r\n") else None
    except OSError:
        return None

class Prober(threading.Thread):
    def __init__(self, port, name, every):
        super().__init__(daemon=True)
        self.port, self.name, self.every = port, name, every
        self.latencies, self.failures, self.stop, self.slow = [], 0, threading.Event(), []
    def run(self):
        while not self.stop.is_set():
            at = time.monotonic()
            latency = probe(self.port, self.name)
            if latency is None:
                self.failures += 1
            else:
                self.latencies.append(latency)
                if latency > 0.005:
                    self.slow.append((at, latency))
            self.stop.wait(self.every)

def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

class Clients:
    """Many non-blocking connections. Connects that the server's full backlog leaves in SYN retries stay
    'pending' (not failed): they send their first bytes whenever they do connect."""
    def __init__(self, port, count, first_bytes, rcvbuf=None, wait=10.0):
        self.first_bytes, self.sockets, self.unsent, self.refused = first_bytes, [], set(), 0
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if rcvbuf:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            self.sockets.append(s)
            self.unsent.add(s)
        deadline = time.monotonic() + wait
        while self.unsent and time.monotonic() < deadline:
            self.send_first_bytes(0.2)

    def send_first_bytes(self, timeout):
        if not self.unsent:
            return
        with selectors.DefaultSelector() as selector:
            for s in self.unsent:
                selector.register(s, selectors.EVENT_WRITE)
            for key, _ in selector.select(timeout):
                s = key.fileobj
                self.unsent.discard(s)
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    self.refused += 1
                    continue
                try:
                    s.send(self.first_bytes)
                except OSError:
                    pass

    def connected(self):
        return [s for s in self.sockets if s not in self.unsent]

TCP_ESTABLISHED = 1

def classify(sockets):
    """Per connected socket: 'open' (nothing to read), 'data', 'closed' (EOF, or reset behind unread data) or 'reset'."""
    states = []
    for s in sockets:
        try:
            chunk = s.recv(65536, socket.MSG_PEEK)
            if chunk and s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] != TCP_ESTABLISHED:
                states.append("closed")
                continue
            states.append("data" if chunk else "closed")
        except BlockingIOError:
            states.append("open")
        except ConnectionResetError:
            states.append("reset")
        except OSError:
            states.append("closed")
    return states

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["hold", "slowloris", "stalled"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--interval", type=float, default=5)
    parser.add_argument("--file", default="probe.txt", help="a served file, for get_metadata")
    parser.add_argument("--slice-file", default="big.bin")
    parser.add_argument("--slice-bytes", type=int, default=100 << 20)
    parser.add_argument("--probe-every", type=float, default=0.05)
    args = parser.parse_args()
    if args.count > 20000 or args.seconds > 600:
        sys.exit("refusing: at most 20000 clients for at most 600 s")

    prober = Prober(args.port, args.file, args.probe_every)
    prober.start()
    started = time.monotonic()
    if args.mode == "hold":
        clients = Clients(args.port, args.count, f"get_metadata {args.file}\r\n".encode())
    elif args.mode == "slowloris":
        clients = Clients(args.port, args.count, b"g")
    else:
        request = f"get_slice {args.slice_file} 0 {args.slice_bytes}\r\n".encode()
        clients = Clients(args.port, args.count, request, rcvbuf=4096)
    opened = time.monotonic() - started
    probes_before_open = len(prober.latencies)
    print(f"opened {len(clients.connected())} connections in {opened:.1f} s ({len(clients.unsent)} still connecting, "
          f"{clients.refused} refused)", flush=True)

    first_closed = None
    deadline = time.monotonic() + args.seconds
    next_trickle = time.monotonic() + args.interval
    while time.monotonic() < deadline:
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        clients.send_first_bytes(0)
        sockets = clients.connected()
        if args.mode == "slowloris" and time.monotonic() >= next_trickle:
            next_trickle += args.interval
            for s in sockets:
                try:
                    s.send(b"x")
                except OSError:
                    pass
        states = classify(sockets)
        gone = states.count("closed") + states.count("reset")
        if gone and first_closed is None:
            first_closed = time.monotonic() - started
        print(f"t={time.monotonic() - started:5.1f}s open={states.count('open')} data={states.count('data')} "
              f"closed={states.count('closed')} reset={states.count('reset')} connecting={len(clients.unsent)} "
              f"probes ok={len(prober.latencies)} failed={prober.failures}",
              flush=True)
    sockets = clients.connected()
    states = classify(sockets)
    during = list(prober.latencies)
    failures_during = prober.failures
    for s in clients.sockets:
        s.close()
    prober.stop.set()
    prober.join()
    after = [probe(args.port, args.file) for _ in range(20)]
    served_after = sum(1 for latency in after if latency is not None)
    slow = " ".join(f"{at - started:.1f}s:{latency * 1000:.0f}ms" for at, latency in prober.slow[:40])
    print(f"probes over 5 ms (when, how long): {slow or 'none'}", flush=True)
    print(f"RESULT mode={args.mode} clients={args.count} connecting={len(clients.unsent)} refused={clients.refused} open={states.count('open')} "
          f"answered={states.count('data')} closed={states.count('closed')} reset={states.count('reset')} "
          f"first_closed_s={first_closed if first_closed is None else round(first_closed, 1)} "
          f"probes={len(during)} probe_failures={failures_during} probe_p50_ms={percentile(during, 0.5) * 1000:.2f} "
          f"probe_p99_ms={percentile(during, 0.99) * 1000:.2f} probe_max_ms={max(during, default=float('nan')) * 1000:.2f} "
          f"held_probes={len(during) - probes_before_open} held_p50_ms={percentile(during[probes_before_open:], 0.5) * 1000:.2f} "
          f"held_p99_ms={percentile(during[probes_before_open:], 0.99) * 1000:.2f} "
          f"served_after={served_after}/20", flush=True)

if __name__ == "__main__":
    main()
