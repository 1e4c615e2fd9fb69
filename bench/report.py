"""Turns bench/run.sh's RESULT lines into the tables of docs/performance.md: medians per load, ratios, targets.

report.py RESULTS ROUNDS DURATION IDLE FLAGS OPENS BULK_PAIRS BULK_SECONDS > BLOCK
    prints the part of docs/performance.md between its "bench/run.sh" markers (bench/write_block.py puts it there)
report.py --abuse-only RESULTS DOCUMENT FLAGS
    rewrites only the "### Under abuse" part of that block in DOCUMENT
The stamp (date, commit, machine) comes from bench/run.sh in the environment variable BENCH_STAMP.
"""
import os
import statistics
import sys

abuse_only = sys.argv[1] == "--abuse-only"
if abuse_only:
    results_path, target_path, flags = sys.argv[2], sys.argv[3], sys.argv[4]
else:
    results_path, rounds, duration, idle, flags = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
    opens, bulk_pairs, bulk_seconds = sys.argv[6], sys.argv[7], sys.argv[8]
stamp = os.environ.get("BENCH_STAMP", "unknown (run through bench/run.sh)")
command = f"bench/run.sh {flags}".rstrip()
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


ABUSE_HEADING = "### Under abuse"
ABUSE_LABELS = ("hftp_soak", "hftp_slowloris", "hftp_slowloris_server", "python_probe")


def first(label):
    return runs.get(label, [{}])[0]


def number(run, key):
    try:
        return float(run.get(key, "nan"))
    except ValueError:
        return float("nan")


def abuse_section():
    soak, slow, probe = first("hftp_soak"), first("hftp_slowloris"), first("python_probe")
    flags_used = first("hftp_slowloris_server").get("flags", "none").replace(",", " ")
    server_commit = first("hftp_slowloris_server").get("commit", "unknown").replace("_", " ")
    lines = [ABUSE_HEADING + "\n"]
    lines.append(f"Stamp: {stamp}. `{command}`; hftp-server at commit `{server_commit}`. The soak runs against the main")
    lines.append("hftp-server; slowloris against a server of its own, started with "
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
    return lines

if abuse_only:
    # Replace the abuse part of the bench/run.sh block in the document, leaving the rest as it was.
    document = open(target_path).read().split("\n")
    end = document.index("<!-- end bench/run.sh -->")
    start = document.index(ABUSE_HEADING) if ABUSE_HEADING in document else end
    document[start:end] = abuse_section()
    open(target_path, "w").write("\n".join(document))
    sys.exit(0)


def goal(ok):
    return "met" if ok else "**missed**"


def ratio(ours, peer):
    return ours / peer if peer and peer == peer else float("nan")


def first_number(label, key):
    return number(first(label), key)


def paired_ratios(ours_label, peer_label, key="mbps"):
    """Our figure over the peer's, pair by pair (run.sh measures both sides of a pair one right after the other)."""
    peers = {run["pair"]: number(run, key) for run in runs.get(peer_label, []) if "pair" in run}
    return sorted(number(run, key) / peers[run["pair"]] for run in runs.get(ours_label, [])
                  if run.get("pair") in peers and peers[run["pair"]] > 0)


def paired_text(ratios):
    if not ratios:
        return "nan", float("nan")
    middle = statistics.median(ratios)
    return f"{middle:.2f}x (median of {len(ratios)} pairs, {ratios[0]:.2f}-{ratios[-1]:.2f})", middle


# Issue 9's table: each row's hftp-server figure (hftp-benchmark) and anchor from the same run, the goal, and the
# same load measured again by tools that share no code with hftp-benchmark (bench/hftp-load.c, curl, wrk, ps,
# /usr/bin/time), with that tool's own verdict.
issue_rows = []


def issue_row(load, ours, anchor, ratio_text, goal_text, ok, check, check_ok):
    issue_rows.append(f"| {load} | {ours} | {anchor} | {ratio_text} | {goal_text} | {goal(ok)} | {check} ({goal(check_ok)}) |")


h64, n64 = median("hftp_bulk_64m_1", "mbps"), median("nginx_bulk_64m_1", "mbps")
l64, lh64 = median("load_bulk_64m_1", "mbps"), median("load_http_64m_1", "mbps")
c64, w64 = median("curl_bulk_64m_1", "mbps"), median("wrk_bulk_64m_1", "mbps")
r64, r64_value = paired_text(paired_ratios("hftp_bulk_64m_1", "nginx_bulk_64m_1"))
rl64, rl64_value = paired_text(paired_ratios("load_bulk_64m_1", "load_http_64m_1"))
issue_row("bulk 64 MiB get_slice, 1 conn, payload MB/s", f"{h64:,.0f}", f"nginx sendfile {n64:,.0f} (http-bulk)", r64,
          ">= 0.80x nginx", r64_value >= 0.8,
          f"hftp-load bulk {l64:,.0f} vs hftp-load http {lh64:,.0f}: {rl64}; nginx by copying clients: curl {c64:,.0f}, wrk {w64:,.0f}",
          rl64_value >= 0.8)

h1g, n1g = median("hftp_bulk_1g_1", "mbps"), median("nginx_bulk_1g_1", "mbps")
l1g, lh1g = median("load_bulk_1g_1", "mbps"), median("load_http_1g_1", "mbps")
c1g, w1g = median("curl_bulk_1g_1", "mbps"), median("wrk_bulk_1g_1", "mbps")
rss_1g = first_number("hftp_bulk_1g_1", "server_peak_rss_mb")  # first pair: the server has served only 64 MiB slices before
time_rss = first_number("time_bulk_1g", "max_rss_mb")
r1g, r1g_value = paired_text(paired_ratios("hftp_bulk_1g_1", "nginx_bulk_1g_1"))
rl1g, rl1g_value = paired_text(paired_ratios("load_bulk_1g_1", "load_http_1g_1"))
issue_row("bulk 1 GiB, 1 conn", f"{h1g:,.0f} MB/s, peak RSS {rss_1g:.1f} MB", f"nginx {n1g:,.0f} (http-bulk)", r1g,
          ">= 0.80x, <= 64 MB", r1g_value >= 0.8 and rss_1g <= 64,
          f"hftp-load bulk {l1g:,.0f} vs hftp-load http {lh1g:,.0f}: {rl1g} (curl {c1g:,.0f}, wrk {w1g:,.0f}); a fresh server serving "
          f"only these slices: max RSS {time_rss:.1f} MB by /usr/bin/time -v", rl1g_value >= 0.8 and time_rss <= 64)

for connections, target, latency in ((32, 1.0, "p99"), (1000, 0.95, "p50 p99"), (4000, 1.0, "p99")):
    ours, redis = f"hftp_small_{connections}_p1", f"redis_get_{connections}_p1"
    rps, redis_rps = median(ours, "rps"), median(redis, "rps")
    load_rps = median(f"load_small_{connections}", "rps")
    figures = ", ".join(f"{name} {median(ours, name + '_ms'):.2f} ms" for name in latency.split())
    load_figures = ", ".join(f"{name} {median(f'load_small_{connections}', name + '_ms'):.2f} ms" for name in latency.split() + ["max"])
    # The same C client against both servers: redis-benchmark spends about twice its CPU per request.
    load_redis_rps = median(f"load_redis_{connections}", "rps")
    issue_row(f"get_metadata, {connections:,} conns", f"{rps / 1000:,.1f}k req/s, {figures}", f"Redis GET {redis_rps / 1000:,.1f}k",
              f"{ratio(rps, redis_rps):.2f}x", f">= {target}x Redis", ratio(rps, redis_rps) >= target,
              f"hftp-load {load_rps / 1000:,.1f}k req/s, {load_figures} = {ratio(load_rps, redis_rps):.2f}x redis-benchmark's Redis; "
              f"Redis driven by hftp-load too: {load_redis_rps / 1000:,.1f}k = {ratio(load_rps, load_redis_rps):.2f}x",
              ratio(load_rps, load_redis_rps) >= target)

open_rate, open_seconds = first_number("hftp_open_held", "conn_per_s"), first_number("hftp_open_held", "seconds")
python_rate = first_number("python_open_held", "conn_per_s")
load_rate, load_python = first_number("load_open_held", "conn_per_s"), first_number("load_python_open_held", "conn_per_s")
churn = (f"; closed after each reply: {first_number('hftp_open_churn', 'conn_per_s'):,.0f} vs {first_number('python_open_churn', 'conn_per_s'):,.0f}, "
         f"hftp-load {first_number('load_open_churn', 'conn_per_s'):,.0f} vs {first_number('load_python_open_churn', 'conn_per_s'):,.0f}")
served = all(first(label).get("served") == opens for label in ("hftp_open_held", "load_open_held"))
issue_row(f"opening {int(opens):,} connections (each served once, held)", f"{open_rate:,.0f} conn/s ({open_seconds:.1f} s)",
          f"course-style Python thread-per-connection server: {python_rate:,.0f} conn/s", f"{ratio(open_rate, python_rate):.2f}x", ">= 5,000 conn/s",
          open_rate >= 5000 and served, f"hftp-load {load_rate:,.0f} vs Python {load_python:,.0f} conn/s{churn}", load_rate >= 5000)

per_connection = median("hftp_idle", "rss_kb_per_connection")
per_served_connection = median("hftp_idle", "rss_kb_per_served_connection")
load_idle = first("load_idle")
held = number(load_idle, "served")
ps_per_connection = (number(load_idle, "ps_rss_held_kb") - number(load_idle, "ps_rss_before_kb")) / held if held else float("nan")
idle_held, idle_served = median("hftp_idle", "held"), median("hftp_idle", "served")
issue_row(f"idle {int(float(idle)):,}: RSS per connection", f"{per_connection:.1f} KB ({per_served_connection:.1f} KB once each was served; {idle_served:.0f} of {idle_held:.0f} served at the end)",
          "-", "", "<= 24 KB", per_connection <= 24,
          f"ps: {ps_per_connection:.1f} KB per connection while hftp-load held {held:,.0f}, each served once", ps_per_connection <= 24)

p50, p99, worst = median("hftp_idle", "probe_p50_ms"), median("hftp_idle", "probe_p99_ms"), median("hftp_idle", "probe_max_ms")
lp50, lp99, lworst = number(load_idle, "probe_p50_ms"), number(load_idle, "probe_p99_ms"), number(load_idle, "probe_max_ms")
issue_row(f"idle {int(float(idle)):,}: fresh client latency", f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {worst:.1f} ms", "-", "",
          "p99 <= 2 ms, max <= 20 ms", p99 <= 2 and worst <= 20,
          f"hftp-load probe every 10 ms while holding {held:,.0f}: p50 {lp50:.2f} ms, p99 {lp99:.2f} ms, max {lworst:.1f} ms, "
          f"{number(load_idle, 'still_open'):,.0f} still open", lp99 <= 2 and lworst <= 20)

other_rows = []


def ratio_row(name, ours_label, peer_label, key, unit):
    ours, peer = median(ours_label, key), median(peer_label, key)
    other_rows.append(f"| {name} | {ours:,.1f} {unit} | {peer:,.1f} {unit} | {ratio(ours, peer):.2f}x |")


ratio_row("bulk, 64 MiB, 8 connections (vs nginx, http-bulk)", "hftp_bulk_64m_8", "nginx_bulk_64m_8", "mbps", "MB/s")
ratio_row("small, 32 connections, 16 in flight (vs Redis GET -P 16)", "hftp_small_32_p16", "redis_get_32_p16", "rps", "req/s")
reopen, reopen_python = first("load_reopen_held"), first("load_python_reopen_held")
other_rows.append(f"| opening {int(opens):,} again right after {int(opens):,} closed (hftp-load open, no wait) | "
                  f"{number(reopen, 'conn_per_s'):,.0f} conn/s, p99 {number(reopen, 'p99_ms'):,.0f} ms, {number(reopen, 'failed'):,.0f} failed | "
                  f"Python: {number(reopen_python, 'conn_per_s'):,.0f} conn/s, p99 {number(reopen_python, 'p99_ms'):,.0f} ms, {number(reopen_python, 'failed'):,.0f} failed | "
                  f"{ratio(number(reopen, 'conn_per_s'), number(reopen_python, 'conn_per_s')):.2f}x |")
startup = median("hftp_startup", "median_ms")
startup_aot = median("hftp_startup_aot", "median_ms")

aot_size = first_number("hftp_aot_size", "bytes")

out = []
out.append(f"Stamp: {stamp}. `{command}`: {rounds} round(s) of {duration} s per load, servers alternating within each")
out.append("round, medians across rounds (opening and idle: one run); bulk over one connection in "
           f"{bulk_pairs} pairs of {bulk_seconds} s runs, hftp-server")
out.append("and nginx one right after the other by the same tool, the ratio taken within each pair (median and range).\n")
out.append("### Against nginx and Redis\n")
out.append("| load | hftp-server | anchor | ratio | goal | | independent cross-check |")
out.append("|---|---|---|---:|---|---|---|")
out.extend(issue_rows)
out.append("")
out.append("### Other loads\n")
out.append("| load | hftp-server | anchor | ratio |")
out.append("|---|---:|---:|---:|")
out.extend(other_rows)
out.append(f"| startup: process start to first reply, ReadyToRun publish (target <= 100 ms) | {startup:.1f} ms | | |")
out.append(f"| startup: Native AOT publish (target <= 10 ms) | {startup_aot:.1f} ms | | |")
out.append(f"| Native AOT executable size | {aot_size:,.0f} bytes ({aot_size / 1048576:.1f} MiB) | | |")
out.append("")
out.append("| get_metadata load (hftp-benchmark) | requests/s | p50 | p99 | p99.9 | server CPU per request |")
out.append("|---|---:|---:|---:|---:|---:|")
for label, name in [("hftp_small_1_p1", "1 connection"), ("hftp_small_32_p1", "32 connections"), ("hftp_small_256_p1", "256 connections"),
                    ("hftp_small_1000_p1", "1,000 connections"), ("hftp_small_4000_p1", "4,000 connections"),
                    ("hftp_small_32_p16", "32 connections, 16 in flight")]:
    out.append(f"| {name} | {median(label, 'rps'):,.0f} | {median(label, 'p50_ms'):.3f} ms | {median(label, 'p99_ms'):.3f} ms | "
               f"{median(label, 'p999_ms'):.3f} ms | {median(label, 'server_cpu_us_per_request'):.2f} µs |")
out.append("")
out.extend(abuse_section())
print("\n".join(out).rstrip("\n"))
