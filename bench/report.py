#!/usr/bin/env python3
"""The benchmark report: reads RESULTS_DIR/raw.csv (bench/suite.sh), writes
RESULTS_DIR/latest.md (medians over the rounds, spreads, ratios against the
peers measured in the same run, the issue's targets next to them) and, when
matplotlib is importable, the plots (calls/s vs in flight, latency CDF,
scaling by cores).

    report.py RESULTS_DIR [--meta TEXT]

Standard library only for the table; matplotlib only for the plots."""
import csv
import glob
import os
import re
import statistics
import sys
from collections import defaultdict

out_dir = sys.argv[1]
meta = sys.argv[sys.argv.index("--meta") + 1] if "--meta" in sys.argv else ""

runs = defaultdict(list)  # (workload, impl, key) -> [values]
with open(os.path.join(out_dir, "raw.csv")) as f:
    for row in csv.DictReader(f):
        try:
            runs[(row["workload"], row["impl"], row["key"])].append(float(row["value"]))
        except ValueError:
            pass


def med(w, i, k):
    v = runs.get((w, i, k))
    return statistics.median(v) if v else None


def spread(w, i, k):
    v = runs.get((w, i, k))
    return (min(v), max(v), len(v)) if v else None


def fmt(v, unit=""):
    if v is None:
        return "—"
    a = abs(v)
    if a >= 100000:
        s = f"{v:,.0f}"
    elif a >= 100:
        s = f"{v:,.0f}"
    elif a >= 10:
        s = f"{v:.1f}"
    elif a >= 1:
        s = f"{v:.2f}"
    elif a == 0:
        s = "0"
    else:
        s = f"{v:.3g}"
    return s + unit


def fmt_spread(w, i, k, unit=""):
    sp = spread(w, i, k)
    if sp is None:
        return "—"
    lo, hi, n = sp
    if n == 1:
        return "1 run"
    return f"{fmt(lo)}–{fmt(hi)}{unit}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}×"


NAMES = {
    "plain": "plain frame echo (libuv, the limit)",
    "libroam": "libroam",
    "libroam-credit256": "libroam, channel credit 256",
    "libroam-rust": "libroam client → Rust server",
    "libroam-rust-i32": "libroam client → Rust sum(Rx<i32>) (i32 items)",
    "rust": "Rust → Rust (roam 7.3.0, release)",
    "grpc": "gRPC C++ (async, CQ)",
}
IMPL_ORDER = ["plain", "libroam", "libroam-credit256", "libroam-rust", "libroam-rust-i32", "rust", "grpc"]

lines = []
P = lines.append
P("# libroam benchmark results")
P("")
P(f"{meta}. Every figure is the median over the rounds (spread: min–max), each run "
  "against a fresh server process; all peers measured in the same run over loopback. "
  "Ratios compare peers from this run only. Targets are reported, never asserted.")
P("")
cf = med("all", "all", "call_frame_bytes")
if cf:
    itf = med("all", "all", "item_frame_bytes")
    P("libroam rows: the `roam_bench` client against `roamcat serve --quiet`, or against "
      "`roam_bench_server` where a section says so.")
    P("")
    P(f"A 16-byte echo call is {cf:.0f} bytes on the wire (length prefix included), a 64-byte "
      f"channel item {itf:.0f}; the plain echo sends and answers frames of those sizes. Server CPU is read from /proc (all threads), "
      "heap allocations by `alloc_shim.so` preloaded into every server process (the whole "
      "process: libuv, libstdc++, tokio, gRPC included), between two marks around the measured "
      "window after a warm-up.")
    P("")


def impl_table(title, workload, key, unit, extra=(), note=None):
    impls = [i for i in IMPL_ORDER if (workload, i, key) in runs]
    if not impls:
        return
    P(f"### {title}")
    P("")
    if note:
        P(note)
        P("")
    head = ["implementation", f"median {unit}".strip(), "spread", "÷ libroam"]
    head += [h for h, _, _ in extra]
    P("| " + " | ".join(head) + " |")
    P("|" + "---|" * 1 + "---:|" * (len(head) - 1))
    base = med(workload, "libroam", key)
    for i in impls:
        m = med(workload, i, key)
        cells = [NAMES.get(i, i), fmt(m), fmt_spread(workload, i, key), fmt_ratio(ratio(m, base))]
        for _, k, u in extra:
            cells.append(fmt(med(workload, i, k), u))
        P("| " + " | ".join(cells) + " |")
    P("")


LAT = (("p50", "p50_us", " µs"), ("p99", "p99_us", " µs"), ("p99.9", "p999_us", " µs"))
CPU = (("server CPU/op", "server_cpu_us_per_op", " µs"), ("server allocs/op", "allocs_per_op", ""))

# ---- the targets --------------------------------------------------------------------
targets = []  # (figure, ours, peer name, peer value, ratio, target text, met)


def target(figure, ours, peer_label, peer, op, bound, unit=""):
    r = ratio(ours, peer)
    if r is None:
        targets.append((figure, fmt(ours, unit), peer_label, fmt(peer, unit), "—", f"{op} {bound}×", "n/a"))
        return
    met = r >= bound if op == "≥" else r <= bound
    targets.append((figure, fmt(ours, unit), peer_label, fmt(peer, unit), fmt_ratio(r), f"{op} {bound}×",
                    "yes" if met else "**no**"))


def absolute(figure, ours, op, bound, unit=""):
    if ours is None:
        targets.append((figure, "—", "", "", "", f"{op} {fmt(bound, unit)}", "n/a"))
        return
    met = ours >= bound if op == "≥" else ours <= bound
    targets.append((figure, fmt(ours, unit), "", "", "", f"{op} {fmt(bound, unit)}", "yes" if met else "**no**"))


target("echo calls/s, 64 in flight", med("unary64", "libroam", "rate"), "plain echo frames/s",
       med("unary64", "plain", "rate"), "≥", 0.5, "/s")
target("channel items/s (64 B)", med("stream64", "libroam", "rate"), "plain echo frames/s (64 in flight)",
       med("stream64", "plain", "rate"), "≥", 0.6, "/s")
target("p50 latency, 1 in flight", med("unary1", "libroam", "p50_us"), "plain echo round trip",
       med("unary1", "plain", "p50_us"), "≤", 1.2, " µs")
target("echo calls/s, 64 in flight", med("unary64", "libroam", "rate"), "gRPC C++",
       med("unary64", "grpc", "rate"), "≥", 6, "/s")
target("p50 latency, 1 in flight", med("unary1", "libroam", "p50_us"), "gRPC C++",
       med("unary1", "grpc", "p50_us"), "≤", 0.4, " µs")
target("server CPU per call (64 in flight)", med("unary64", "libroam", "server_cpu_us_per_op"), "gRPC C++",
       med("unary64", "grpc", "server_cpu_us_per_op"), "≤", 0.1, " µs")
cores = sorted({i for (w, i, k) in runs if w == "scaling" and i.startswith("libroam-")},
               key=lambda s: int(s.split("-")[1][:-1]))
if len(cores) >= 2:
    target(f"calls/s with {cores[-1].split('-')[1][:-1]} threads (roamcat serve --threads)",
           med("scaling", cores[-1], "rate"), "1 thread", med("scaling", cores[0], "rate"), "≥", 1.7, "/s")
else:
    rs = sorted({i for (w, i, k) in runs if w == "scaling" and i.startswith("roamsrv-")},
                key=lambda s: int(s.split("-")[1][:-1]))
    if len(rs) >= 2:
        target("calls/s with 2 threads (roam_bench_server)", med("scaling", rs[-1], "rate"), "1 thread",
               med("scaling", rs[0], "rate"), "≥", 1.7, "/s")
def alloc_target(figure, workload, unit):
    per = med(workload, "libroam", "allocs_per_op")
    total = med(workload, "libroam", "server_allocs")
    ops = med(workload, "libroam", "ops")
    if per is None:
        targets.append((figure, "—", "", "", "", "0 per " + unit, "n/a"))
        return
    # Zero per call in steady state: what is left is a buffer reaching a new
    # high-water mark or the marks themselves, a handful in the window.
    met = per < 0.01
    targets.append((figure, f"{fmt(per)} ({fmt(total)} in {fmt(ops)} {unit}s)", "", "", "",
                    f"0 per {unit}", "yes" if met else "**no**"))


alloc_target("server heap allocations per call (64 in flight)", "unary64", "call")
alloc_target("server heap allocations per channel item", "stream64", "item")
absolute("bytes per idle virtual connection (server, live heap)",
         med("idle-vconns", "libroam", "server_live_bytes_per"), "≤", 256, " B")
absolute("bytes per idle session (server, live heap)",
         med("idle-sessions", "libroam", "server_live_bytes_per"), "≤", 16384, " B")

P("## Targets (issue #12)")
P("")
P("| figure | libroam | against | its value | ratio | target | met |")
P("|---|---:|---|---:|---:|---:|:---:|")
for t in targets:
    P("| " + " | ".join(t) + " |")
P("")
P("Allocation counts are whole-process (libuv and libc included), between two marks around "
  "the measured window: a handful in the window (a buffer reaching a new high-water mark, the "
  "stream's own call) is not per call; the target counts as met below 0.01 per call or item.")
P("")

P("## Workloads")
P("")
impl_table("Unary echo, 1 call in flight, TCP (calls/s and latency)", "unary1", "rate", "calls/s", LAT + CPU,
           note="Rust → Rust reports calls/s only (its bench-call has no latency); the libroam client "
                "against the Rust server gives the Rust server's latency.")
impl_table("Unary echo, 1 call in flight, Unix socket", "unary1-unix", "rate", "calls/s", LAT)
impl_table("Unary echo, 64 in flight, TCP", "unary64", "rate", "calls/s", LAT + CPU)
impl_table("Unary echo, 64 in flight, Unix socket", "unary64-unix", "rate", "calls/s", LAT)
impl_table("Unary echo, 256 in flight, TCP", "unary256", "rate", "calls/s", LAT + CPU,
           note="The Rust server advertises 64 concurrent requests: a client of it keeps at most 64 in flight.")
impl_table("Unary echo, 256 in flight, Unix socket", "unary256-unix", "rate", "calls/s", LAT)
impl_table("100 sessions at once, 1 call in flight on each", "sessions100", "rate", "calls/s", LAT + CPU,
           note="The Rust row is the libroam client against the Rust peer's `bench-serve` (its own client, "
                "bench-call, makes one session).")
impl_table("1,000 sessions at once, 1 call in flight on each", "sessions1000", "rate", "calls/s", LAT + CPU)
impl_table("Channel streaming, 64-byte items (one channel)", "stream64", "rate", "items/s", CPU,
           note="libroam: credit 64 (Tx<T, 64>), the window of the plain client's 64 frames in flight; "
                "libroam-credit256: the same with credit 256; "
                "plain: 64-in-flight echo of item-sized frames (the reference for the items target); "
                "gRPC: one bidirectional stream, one write in flight (its async API's rule); Rust: "
                "sum(Rx<i32>) takes i32 items, so its row streams 1–3-byte items.")
impl_table("1 MiB payloads, 1 in flight (echo: MB/s of payload each way)", "payload1m", "mb_per_s", "MB/s", LAT[:1] + CPU)
impl_table("16 MiB payloads, 1 in flight", "payload16m", "mb_per_s", "MB/s", LAT[:1] + CPU,
           note="libroam here is roam_bench_server (frames up to 64 MiB: roamcat keeps the 16 MiB default).")
impl_table("Virtual connection open + close churn, 16 in flight", "churn", "rate", "opens/s", CPU)

# ---- scaling -------------------------------------------------------------------------
sc = sorted({i for (w, i, k) in runs if w == "scaling"})
if sc:
    P("### Scaling by cores (2 client processes × 8 sessions × 64 in flight)")
    P("")
    P("| server | threads | median calls/s | spread | ÷ 1 thread | server cores busy | calls/s per busy core |")
    P("|---|---:|---:|---:|---:|---:|---:|")
    for fam, label in (("libroam", "roamcat serve --threads (SO_REUSEPORT)"),
                       ("roamsrv", "roam_bench_server --threads (round-robin accept)"),
                       ("grpc", "gRPC C++ (one CQ + thread per core)")):
        ths = sorted((int(i.split("-")[1][:-1]), i) for i in sc if i.startswith(fam + "-"))
        if not ths:
            continue
        one = med("scaling", ths[0][1], "rate")
        for th, i in ths:
            m = med("scaling", i, "rate")
            busy = med("scaling", i, "server_cores")
            P(f"| {label} | {th} | {fmt(m)} | {fmt_spread('scaling', i, 'rate')} | {fmt_ratio(ratio(m, one))} "
              f"| {fmt(busy)} | {fmt(ratio(m, busy))} |")
    P("")
    P("The clients run on the same machine as the server and cost about as much CPU per call "
      "as it does: \"server cores busy\" (server CPU time over wall time, from /proc) shows how "
      "much of the machine the server could get. With 2 cores and the clients on them, a "
      "2-thread server cannot get much more than one core, which caps the ratio well below 2×; "
      "the target needs more cores than the client takes. \"calls/s per busy core\" staying level "
      "from 1 to 2 threads is what says the server itself scales.")
    P("")

# ---- memory --------------------------------------------------------------------------
mem_rows = [("idle-sessions", "per idle session (real TCP sessions, one client process)"),
            ("idle-vconns", "per idle virtual connection (one session)")]
if any(("idle-sessions", "libroam", "server_live_bytes_per") in runs or
       ("idle-vconns", "libroam", "server_live_bytes_per") in runs for _ in [0]):
    ops_s = med("idle-sessions", "libroam", "ops")
    ops_v = med("idle-vconns", "libroam", "ops")
    P("### Memory")
    P("")
    P(f"Sessions: {fmt(ops_s)} at once; virtual connections: {fmt(ops_v)} on one session; "
      "server = roam_bench_server (whole-process live heap through alloc_shim.so, and RSS), "
      "client = roam_bench (libroam's own live heap through roam_set_allocator, and RSS).")
    P("")
    P("| bytes | server live heap | server RSS | client libroam heap | client RSS | target |")
    P("|---|---:|---:|---:|---:|---:|")
    for w, label in mem_rows:
        tgt = "≤ 16 KiB" if w == "idle-sessions" else "≤ 256 B"
        P(f"| {label} | {fmt(med(w, 'libroam', 'server_live_bytes_per'))} | "
          f"{fmt(med(w, 'libroam', 'server_rss_bytes_per'))} | {fmt(med(w, 'libroam', 'client_lib_bytes_per'))} | "
          f"{fmt(med(w, 'libroam', 'client_rss_bytes_per'))} | {tgt} |")
    P("")
    P("Session figures include the kernel-side socket only as far as RSS shows it (not at all: "
      "socket buffers are kernel memory); the server's heap figure includes libuv's handle.")
    P("")

buckets = sorted((int(k.split("_")[1]), k) for (w, i, k) in runs
                 if w == "vconn-growth" and k.startswith("bucket_"))
if buckets:
    P("### The cost of an open as connections accumulate (one session, 64 opens in flight)")
    P("")
    P("| connections open | µs per open in this bucket | ÷ first bucket |")
    P("|---:|---:|---:|")
    first = med("vconn-growth", "libroam", buckets[0][1])
    prev = 0
    for n, k in buckets:
        m = med("vconn-growth", "libroam", k)
        P(f"| {prev:,}–{n:,} | {fmt(m)} | {fmt_ratio(ratio(m, first))} |")
        prev = n
    P("")
    P(f"Memory at the end: server {fmt(med('vconn-growth', 'libroam', 'server_live_bytes_per'))} B "
      f"live heap and {fmt(med('vconn-growth', 'libroam', 'server_rss_bytes_per'))} B RSS per connection; "
      f"client {fmt(med('vconn-growth', 'libroam', 'client_lib_bytes_per'))} B libroam heap per connection.")
    P("")

t1 = med("teardown-1x", "libroam", "teardown_us_per_conn")
t2 = med("teardown-2x", "libroam", "teardown_us_per_conn")
if t1 is not None or t2 is not None:
    P("### Ending a session that holds many virtual connections (roam_session_shutdown)")
    P("")
    P("| connections | µs per connection (every closed callback delivered) | spread | ÷ N |")
    P("|---:|---:|---:|---:|")
    for w, v in (("teardown-1x", t1), ("teardown-2x", t2)):
        P(f"| {fmt(med(w, 'libroam', 'ops'))} | {fmt(v)} | {fmt_spread(w, 'libroam', 'teardown_us_per_conn')} "
          f"| {fmt_ratio(ratio(v, t1))} |")
    P("")
    P("Flat per connection means ≈ 1.0× at 2N; 2× means the end is quadratic in the connections held.")
    P("")

notes = os.path.join(out_dir, "notes.txt")
if os.path.exists(notes):
    with open(notes) as f:
        text = f.read().strip()
    if text:
        P("### Notes from this run")
        P("")
        for line in text.splitlines():
            P(f"- {line.removeprefix('suite: ')}")
        P("")

# ---- plots -------------------------------------------------------------------------------
pngs = []
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except Exception as e:  # noqa: BLE001
    P(f"(no plots: matplotlib is not available: {e})")
    plt = None


def finish_plot(fig, ax, name, title, xlabel, ylabel, grid_axis="both"):
    """Labels, grid and legend of one plot, saved as out_dir/name and listed."""
    if xlabel:
        ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", axis=grid_axis, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, name), dpi=110)
    pngs.append(name)
    plt.close(fig)


if plt is not None:
    # calls/s vs in flight
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i in IMPL_ORDER:
        xs, ys = [], []
        for c in (1, 64, 256):
            m = med(f"unary{c}", i, "rate")
            if m is not None:
                xs.append(c)
                ys.append(m)
        if xs:
            ax.plot(xs, ys, marker="o", label=NAMES.get(i, i))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    finish_plot(fig, ax, "calls_vs_inflight.png", "Unary echo throughput",
                "calls in flight (one session, TCP)", "calls/s (median)")

    # latency CDF, 1 in flight: every round's samples pooled
    fig, ax = plt.subplots(figsize=(7, 4.5))
    drew = False
    for i in IMPL_ORDER:
        files = [f for f in glob.glob(os.path.join(out_dir, "lat", f"unary1-{i}-r*.txt"))
                 if re.fullmatch(rf"unary1-{re.escape(i)}-r\d+\.txt", os.path.basename(f))]
        vals = []
        for path in files:
            with open(path) as f:
                vals += [float(x) for x in f if x.strip()]
        if not vals:
            continue
        vals.sort()
        n = len(vals)
        ax.plot(vals, [(k + 1) / n for k in range(n)], label=NAMES.get(i, i))
        drew = True
    if drew:
        ax.set_xscale("log")
        finish_plot(fig, ax, "latency_cdf.png", "Latency CDF",
                    "round-trip latency (µs), 1 call in flight, TCP, all rounds", "fraction of calls")
    else:
        plt.close(fig)

    # scaling
    if sc:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        fams = [f for f in ("libroam", "roamsrv", "grpc") if any(i.startswith(f + "-") for i in sc)]
        width = 0.8 / max(1, len({i.split('-')[1] for i in sc}))
        ths = sorted({int(i.split("-")[1][:-1]) for i in sc})
        for k, th in enumerate(ths):
            ys = [med("scaling", f"{f}-{th}t", "rate") or 0 for f in fams]
            ax.bar([x + k * width for x in range(len(fams))], ys, width, label=f"{th} thread(s)")
        ax.set_xticks([x + width * (len(ths) - 1) / 2 for x in range(len(fams))])
        ax.set_xticklabels({"libroam": "roamcat serve", "roamsrv": "roam_bench_server", "grpc": "gRPC C++"}[f]
                           for f in fams)
        finish_plot(fig, ax, "scaling.png", "Scaling by server threads", None,
                    "calls/s (median, 16 sessions × 64 in flight)", grid_axis="y")

if pngs:
    P("### Plots")
    P("")
    for p in pngs:
        P(f"![{p}]({p})")
    P("")

with open(os.path.join(out_dir, "latest.md"), "w") as f:
    f.write("\n".join(lines) + "\n")

# --readme PATH: the table goes into PATH between the markers below, the
# plots linked from results/ (where suite.sh copies them).
if "--readme" in sys.argv:
    readme = sys.argv[sys.argv.index("--readme") + 1]
    begin, end = "<!-- suite results: begin -->", "<!-- suite results: end -->"
    with open(readme) as f:
        text = f.read()
    if begin in text and end in text:
        body = "\n".join(lines[1:]).strip()  # without the page title
        body = re.sub(r"^#{2,3} ", "#### ", body, flags=re.M)
        body = re.sub(r"\]\(([a-z_]+\.png)\)", r"](results/\1)", body)
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        with open(readme, "w") as f:
            f.write(head + begin + "\n" + body + "\n" + end + tail)
