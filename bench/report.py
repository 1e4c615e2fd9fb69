"""Turns bench/run.sh's RESULT lines into bench/BENCHMARKS.md: medians per load, ratios, targets."""
import datetime
import os
import statistics
import subprocess
import sys

abuse_only = sys.argv[1] == "--abuse-only"
if abuse_only:  # report.py --abuse-only RESULTS BENCHMARKS_MD FLAGS: rewrite only the abuse section
    results_path, target_path, flags = sys.argv[2], sys.argv[3], sys.argv[4]
else:  # report.py RESULTS ROUNDS DURATION IDLE FLAGS > BENCHMARKS_MD
    results_path, rounds, duration, idle, flags = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
runs = {}
for line in open(results_path):
    label, *pairs = line.split()
    runs.setdefault(label, []).append(dict(pair.split("=", 1) for pair in pairs))


def median(label, key):
    values = [float(run[key]) for run in runs.get(label, []) if key in run and run[key] not in ("NaN", "")]
    return statistics.median(values) if values else float("nan")


def peak(label, key):
    values = [float(run[key]) for run in runs.get(label, []) if key in run]
    return max(values) if values else float("nan")


def verdict(ok):
    return "met" if ok else "**not met**"


ABUSE_HEADING = "## Under abuse: soak and slowloris"
ABUSE_LABELS = ("hftp_soak", "hftp_slowloris", "hftp_slowloris_server", "python_probe")


def first(label):
    return runs.get(label, [{}])[0]


def number(run, key):
    try:
        return float(run.get(key, "nan"))
    except ValueError:
        return float("nan")


BY_HAND_PREFIX = "## Measured by hand"


def sections_by_hand(path):
    """Sections written by hand into BENCHMARKS.md (their heading starts with BY_HAND_PREFIX), kept by every rewrite."""
    if not os.path.exists(path):
        return []
    kept, keeping = [], False
    for line in open(path).read().split("\n"):
        if line.startswith("## "):
            keeping = line.startswith(BY_HAND_PREFIX)
        if keeping:
            kept.append(line)
    return kept


def abuse_section():
    soak, slow, probe = first("hftp_soak"), first("hftp_slowloris"), first("python_probe")
    flags_used = first("hftp_slowloris_server").get("flags", "none").replace(",", " ")
    server_commit = first("hftp_slowloris_server").get("commit", commit).replace("_", " ")
    lines = [ABUSE_HEADING + "\n"]
    lines.append(f"Measured by `bench/run.sh {flags}`".rstrip() + f" on {datetime.date.today().isoformat()}, load generator at commit `{commit}`, "
                 f"hftp-server at commit `{server_commit}`, on the same")
    lines.append("2-core machine (it may be shared with other work: read latency tails with the control row in mind). The soak runs against")
    lines.append("the main hftp-server; slowloris against a server of its own, started with "
                 + (f"`{flags_used}`." if flags_used != "none" else "no timeouts (this server has none)."))
    lines.append("")
    lines.append("| load | figure | target | |")
    lines.append("|---|---|---|---|")
    if soak:
        wrong, errors = number(soak, "wrong"), number(soak, "errors")
        lines.append(f"| soak: {soak.get('clients')} clients x {number(soak, 'seconds'):.0f} s, seed {soak.get('seed')}: mixed valid, invalid, "
                     f"pipelined, byte-at-a-time, fatal and quit requests | {number(soak, 'requests'):,.0f} requests ({number(soak, 'rps'):,.0f}/s) over "
                     f"{number(soak, 'connections'):,.0f} connections ({number(soak, 'connections_per_s'):,.0f}/s): {wrong:.0f} wrong replies, {errors:.0f} connection errors | 0 wrong | {verdict(wrong == 0 and errors == 0)} |")
        lines.append(f"| soak: server threads, open fds before -> after (peak threads {soak.get('server_peak_threads')}) | "
                     f"{soak.get('server_threads_start')} -> {soak.get('server_threads_end')} threads, {soak.get('server_fds_start')} -> {soak.get('server_fds_end')} fds "
                     f"| back to baseline (+8) within 10 s | {verdict(soak.get('settled') == 'yes')} |")
    if slow:
        opened, shed = number(slow, "opened"), number(slow, "shed")
        seen_late = number(slow, "shed_seen_at_end") if "shed_seen_at_end" in slow else 0
        shed_times = f" after {slow.get('shed_min_s')} / {slow.get('shed_p50_s')} / {slow.get('shed_max_s')} s (min / p50 / max)" if shed > 0 else ""
        peak_held = f" (at most {number(slow, 'peak_held'):,.0f} at once)" if "peak_held" in slow else ""
        lines.append(f"| slowloris: {opened:,.0f} of {number(slow, 'connections'):,.0f} connections opened{peak_held}, one byte each per {number(slow, 'interval_ms') / 1000:.0f} s, "
                     f"for {number(slow, 'seconds'):.0f} s | {shed:,.0f} shed{shed_times}"
                     + (f", {seen_late:,.0f} more seen closed only at the end" if seen_late else "")
                     + f"; {number(slow, 'open_at_end'):,.0f} still open at the end "
                     f"| all shed by the timeouts | {verdict(opened > 0 and shed + seen_late == opened)} |")
        p99 = number(slow, "probe_p99_ms")
        lines.append(f"| slowloris: fresh client, new connection + get_metadata each (hftp-benchmark, 20/s) | {number(slow, 'probe_requests'):.0f} requests, "
                     f"{number(slow, 'probe_failures'):.0f} failed; p50 {number(slow, 'probe_p50_ms'):.3f} ms, p99 {p99:.3f} ms, max {number(slow, 'probe_max_ms'):.3f} ms "
                     f"(p99 while opening {number(slow, 'probe_p99_opening_ms'):.3f} ms, once all were open {number(slow, 'probe_p99_opened_ms'):.3f} ms"
                     + (f", once every held connection was shed {number(slow, 'probe_p99_after_shed_ms'):.3f} ms" if "probe_p99_after_shed_ms" in slow else "")
                     + ") "
                     f"| p99 < 5 ms | {verdict(p99 < 5 and number(slow, 'probe_failures') == 0)} |")
        lines.append(f"| slowloris: server peak threads, peak RSS | {slow.get('server_peak_threads')} threads, {number(slow, 'server_peak_rss_mb'):.1f} MB | | |")
        if "listen_overflows" in slow:
            lines.append(f"| slowloris: listen queue overflows meanwhile (kernel `TcpExt ListenOverflows`, machine-wide) | {slow['listen_overflows']} | | |")
    if probe:
        p99 = number(probe, "p99_ms")
        lines.append(f"| slowloris: the same, cross-checked by bench/probe.py (Python, 10/s) | {number(probe, 'requests'):.0f} requests, "
                     f"{number(probe, 'failures'):.0f} failed; p50 {number(probe, 'p50_ms'):.3f} ms, p99 {p99:.3f} ms, max {number(probe, 'max_ms'):.3f} ms "
                     f"| p99 < 5 ms | {verdict(p99 < 5 and number(probe, 'failures') == 0)} |")
    lines.append("")
    lines.append("```text")
    for label in ABUSE_LABELS:
        for run in runs.get(label, []):
            lines.append(label + " " + " ".join(f"{k}={v}" for k, v in run.items()))
    lines.append("```")
    lines.append("")
    return lines


cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "unknown")
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
rows = []


def ratio_row(name, ours_label, peer_label, key, target, unit):
    ours, peer = median(ours_label, key), median(peer_label, key)
    ratio = ours / peer if peer else float("nan")
    rows.append(f"| {name} | {ours:,.1f} {unit} | {peer:,.1f} {unit} | {ratio:.2f}x | >= {target}x | {verdict(ratio >= target)} |")


ratio_row("bulk, whole 64 MiB, 1 connection (decoded MB/s vs nginx)", "hftp_bulk_64m_1", "nginx_bulk_64m_1", "mbps", 0.75, "MB/s")
ratio_row("bulk, whole 1 GiB, 1 connection", "hftp_bulk_1g_1", "nginx_bulk_1g_1", "mbps", 0.75, "MB/s")
ratio_row("bulk, 64 MiB, 8 connections", "hftp_bulk_64m_8", "nginx_bulk_64m_8", "mbps", 0.70, "MB/s")
ratio_row("small, get_metadata, 32 connections, 1 in flight (vs Redis GET)", "hftp_small_32_p1", "redis_get_32_p1", "rps", 0.9, "req/s")
ratio_row("small, 32 connections, 16 in flight (vs Redis GET -P 16)", "hftp_small_32_p16", "redis_get_32_p16", "rps", 0.65, "req/s")

p99 = median("hftp_small_32_p1", "p99_ms")
# Round 1's server has served only 64 MiB slices before; later rounds also carry what 256 connections left in
# the GC heap. The slice's own cost is its peak minus the RSS when it began.
first_1g = runs.get("hftp_bulk_1g_1", [{}])[0]
rss_1g = float(first_1g.get("server_peak_rss_mb", "nan"))
slice_growth = max(float(run["server_peak_rss_mb"]) - float(run["server_start_rss_mb"]) for run in runs.get("hftp_bulk_1g_1", [{"server_peak_rss_mb": "nan", "server_start_rss_mb": "nan"}]))
served = median("hftp_idle", "served")
held = median("hftp_idle", "held")
probe_p99 = median("hftp_idle", "probe_p99_ms")
per_connection = median("hftp_idle", "rss_kb_per_connection")
per_served_connection = median("hftp_idle", "rss_kb_per_served_connection")
startup = median("hftp_startup", "median_ms")
startup_aot = median("hftp_startup_aot", "median_ms")

if abuse_only:
    # Replace the abuse section of the existing file (or add it before "## All runs"), leaving the rest as it was.
    document = open(target_path).read().split("\n")
    section = abuse_section()
    if ABUSE_HEADING in document:
        start = document.index(ABUSE_HEADING)
        end = next((i for i in range(start + 1, len(document)) if document[i].startswith("## ")), len(document))
    else:
        start = end = next((i for i, line in enumerate(document) if line == "## All runs"), len(document))
    document[start:end] = section
    open(target_path, "w").write("\n".join(document))
    sys.exit(0)

out = []
out.append("# Benchmarks\n")
out.append(f"Generated by `bench/run.sh {flags}`".rstrip() + f" on {datetime.date.today().isoformat()}, commit `{commit}`.\n")
out.append(f"Machine: {os.cpu_count()} cores, {cpu}; loopback only. {rounds} round(s) of {duration} s per load, servers")
out.append("alternating within each round; figures are medians across rounds. The machine is shared and noisy: other")
out.append("work may have been running, so read ratios (taken side by side) rather than absolute figures.\n")
out.append("Comparison points: nginx (sendfile, keep-alive, `worker_processes auto`) serving the same files over HTTP,")
out.append("and Redis GET measured by `redis-benchmark -c 32 [-P 16]`. hftp-server ran from a ReadyToRun Release publish with")
out.append("`--log-level Warning`; the load generator is `hftp-benchmark` (src/Hftp.Benchmark).\n")
out.append("## Targets\n")
out.append("| load | hftp-server | peer | ratio | target | |")
out.append("|---|---:|---:|---:|---:|---|")
out.extend(rows)
out.append(f"| small, 32 connections, 1 in flight: p99 latency | {p99:.3f} ms | | | <= 2 ms | {verdict(p99 <= 2)} |")
out.append(f"| bulk, peak server RSS during 1 GiB slices (round 1; growth during any slice: {slice_growth:.1f} MB) | {rss_1g:.1f} MB | | | <= 64 MB | {verdict(rss_1g <= 64)} |")
out.append(f"| idle: connections held, all served at the end | {served:.0f} of {held:.0f} | | | all of 10,000 | {verdict(served == held and held >= 10000)} |")
out.append(f"| idle: fresh client get_metadata p99 meanwhile | {probe_p99:.3f} ms | | | <= 5 ms | {verdict(probe_p99 <= 5)} |")
out.append(f"| idle: extra server RSS per held connection (idle; {per_served_connection:.1f} KB once each was served) | {per_connection:.1f} KB | | | <= 24 KB | {verdict(per_connection <= 24)} |")
out.append(f"| startup: process start to first reply (ReadyToRun publish) | {startup:.1f} ms | | | <= 100 ms | {verdict(startup <= 100)} |")
out.append(f"| startup: Native AOT publish | {startup_aot:.1f} ms | | | <= 10 ms | {verdict(startup_aot <= 10)} |")
out.append("")
out.append("## Without a target\n")
out.append("| load | requests/s | p50 | p99 | p99.9 | server CPU per request |")
out.append("|---|---:|---:|---:|---:|---:|")
for label, name in [("hftp_small_1_p1", "small, 1 connection"), ("hftp_small_32_p1", "small, 32 connections"),
                    ("hftp_small_256_p1", "small, 256 connections"), ("hftp_small_32_p16", "small, 32 connections, 16 in flight")]:
    out.append(f"| {name} | {median(label, 'rps'):,.0f} | {median(label, 'p50_ms'):.3f} ms | {median(label, 'p99_ms'):.3f} ms | "
               f"{median(label, 'p999_ms'):.3f} ms | {median(label, 'server_cpu_us_per_request'):.2f} µs |")
out.append("")
out.extend(abuse_section())
out.extend(sections_by_hand("bench/BENCHMARKS.md"))
out.append("## All runs\n")
out.append("```text")
for label, label_runs in runs.items():
    if label in ABUSE_LABELS:
        continue
    for run in label_runs:
        out.append(label + " " + " ".join(f"{k}={v}" for k, v in run.items()))
out.append("```\n")
out.append("## Reproduce\n")
out.append("```sh")
out.append("bench/run.sh            # full: 3 rounds, 10,000 idle connections (about 10 minutes)")
out.append("bench/run.sh --quick    # 1 round, 2,000 idle connections (about 2 minutes)")
out.append("bench/run.sh --abuse    # only soak (200 clients x 60 s) and slowloris (10,000 connections x 60 s)")
out.append("```")
out.append("Single loads by hand, against a server you started (`--server-pid` adds its RSS, threads and CPU):\n")
out.append("```sh")
out.append("dotnet src/Hftp.Benchmark/bin/Release/net10.0/hftp-benchmark.dll bulk  --port 19500 -f big.bin -c 1 -d 10")
out.append("dotnet src/Hftp.Benchmark/bin/Release/net10.0/hftp-benchmark.dll small --port 19500 -f big.bin -c 32 -P 16 -d 10")
out.append("dotnet src/Hftp.Benchmark/bin/Release/net10.0/hftp-benchmark.dll idle  --port 19500 -f big.bin -c 10000 -d 10")
out.append("dotnet src/Hftp.Benchmark/bin/Release/net10.0/hftp-benchmark.dll soak  --port 19500 --dir DIR --clients 200 --seconds 60 --server-pid PID")
out.append("dotnet src/Hftp.Benchmark/bin/Release/net10.0/hftp-benchmark.dll slowloris --port 19500 -f big.bin --connections 10000 --interval-ms 5000 --seconds 60")
out.append("```")
print("\n".join(out))
