#!/usr/bin/python3
"""Writes docs/BENCHMARKS.md and the PNG plots from the JSON lines of a
bench run (bench/scripts/run-bench.sh). Runs on Debian's /usr/bin/python3 with
python3-matplotlib; without matplotlib the report is written without plots.

Every figure in the report comes from the results file; the targets are
those of issue 3, each judged against the same run's uWebSockets.js peer.
"""
import argparse
import json
import statistics
import math
import os
import re
from collections import defaultdict

SERVERS = ["herald", "fastapi", "node-ws", "uws"]
PEERS = ["fastapi", "node-ws", "uws"]
NAMES = {"herald": "Herald", "fastapi": "FastAPI", "node-ws": "Node ws", "uws": "uWebSockets.js"}


def load(path):
    runs, commands, skipped, machine, notes = [], defaultdict(list), {}, {}, []
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        kind = r.get("scenario")
        if kind == "_machine":
            machine = r["metrics"]
        elif kind == "_command":
            commands[r["label"]].append(r["metrics"])
        elif kind == "_note":
            notes.append(r["metrics"].get("note", ""))
        elif kind == "_skipped":
            skipped[r["label"]] = r["metrics"].get("reason", "")
        else:
            runs.append(r)
    return runs, commands, skipped, machine, notes


def pick(runs, label, scenario, pred=lambda r: True, key=None):
    """The matching run (the one with the largest `key` when given, else the last)."""
    found = [r for r in runs if r["label"] == label and r["scenario"] == scenario and pred(r)]
    if not found:
        return None
    return max(found, key=key) if key else found[-1]


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def fmt(v):
    if v is None:
        return "-"
    if not is_num(v):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    a = abs(v)
    if a >= 100000:
        return f"{v/1000:,.0f}k"
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def ratio(h, p):
    if not is_num(h) or not is_num(p) or p == 0:
        return "-"
    return f"{h / p:.2f}x"


def scenario_table(title, runs_by_server, rows, note=""):
    present = [s for s in SERVERS if runs_by_server.get(s)]
    out = [f"### {title}", ""]
    if note:
        out += [note, ""]
    if not present:
        return out + ["No run of this scenario completed.", ""]
    head = ["figure"] + [NAMES[s] for s in present]
    ratios = [p for p in PEERS if p in present] if "herald" in present else []
    head += [f"Herald / {NAMES[p]}" for p in ratios]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + " --- |" * len(head))
    for key, label in rows:
        vals = {s: runs_by_server[s]["metrics"].get(key) for s in present}
        line = [label] + [fmt(vals[s]) for s in present]
        line += [ratio(vals["herald"], vals[p]) for p in ratios]
        out.append("| " + " | ".join(line) + " |")
    params = {s: runs_by_server[s]["params"] for s in present}
    first = next(iter(params.values()))
    out += ["", "Parameters: " + ", ".join(f"{k}={v}" for k, v in first.items()), ""]
    return out


def half_rate_run(runs, label):
    top = pick(runs, label, "chat", lambda r: not r["params"].get("rate"))
    if not top:
        return None
    half = top["metrics"].get("delivered_per_s", 0) / 2
    rated = [r for r in runs if r["label"] == label and r["scenario"] == "chat" and r["params"].get("rate")]
    return min(rated, key=lambda r: abs(r["params"]["rate"] - half)) if rated else None


def idle_run(runs, label):
    return pick(runs, label, "connect", lambda r: r["params"]["connections"] <= 10000,
                key=lambda r: r["params"]["connections"])


def targets(runs):
    h = lambda scen, pred=lambda r: True: pick(runs, "herald", scen, pred)
    u = lambda scen, pred=lambda r: True: pick(runs, "uws", scen, pred)
    maxrate = lambda r: not r["params"].get("rate")
    m = lambda r, k: r["metrics"].get(k) if r else None
    rows = []

    def add(name, value, goal, met):
        rows.append((name, value, goal, "met" if met is True else ("not met" if met is False else "not measured")))

    def at_least(hv, uv, factor):
        if not is_num(hv) or not is_num(uv) or uv == 0:
            return None
        return hv >= factor * uv

    def at_most(v, limit):
        return None if not is_num(v) else v <= limit

    hc, uc = h("chat", maxrate), u("chat", maxrate)
    add("Chat msgs/s vs uWebSockets.js", f"{fmt(m(hc, 'delivered_per_s'))} ({ratio(m(hc, 'delivered_per_s'), m(uc, 'delivered_per_s'))})",
        ">= 2x", at_least(m(hc, "delivered_per_s"), m(uc, "delivered_per_s"), 2))
    add("Chat server CPU per delivered message", f"{fmt(m(hc, 'server_cpu_us_per_message'))} us", "<= 3 us",
        at_most(m(hc, "server_cpu_us_per_message"), 3))
    hf, uf = h("fanout", maxrate), u("fanout", maxrate)
    add("Fan-out max deliveries/s vs uWebSockets.js (closed loop)",
        f"{fmt(m(hf, 'deliveries_per_s'))} ({ratio(m(hf, 'deliveries_per_s'), m(uf, 'deliveries_per_s'))})",
        ">= 4x", at_least(m(hf, "deliveries_per_s"), m(uf, "deliveries_per_s"), 4))
    add("Fan-out server CPU per delivery (closed loop)", f"{fmt(m(hf, 'server_cpu_us_per_delivery'))} us", "<= 1 us",
        at_most(m(hf, "server_cpu_us_per_delivery"), 1))
    ho = h("fanout", lambda r: bool(r["params"].get("rate")))
    add("Fan-out server CPU per delivery at the offered rate",
        f"{fmt(m(ho, 'server_cpu_us_per_delivery'))} us at {fmt(ho['params']['rate']) if ho else '-'} deliveries/s offered",
        "<= 1 us", at_most(m(ho, "server_cpu_us_per_delivery"), 1))
    hp, up = h("ping"), u("ping")
    add("Ping round trips/s vs uWebSockets.js", f"{fmt(m(hp, 'round_trips_per_s'))} ({ratio(m(hp, 'round_trips_per_s'), m(up, 'round_trips_per_s'))})",
        ">= 1.5x", at_least(m(hp, "round_trips_per_s"), m(up, "round_trips_per_s"), 1.5))
    hh = half_rate_run(runs, "herald")
    add("Chat delivery p99 at half of max throughput",
        f"{fmt(m(hh, 'delivery_p99_us'))} us at {fmt(hh['params']['rate']) if hh else '-'} msgs/s offered",
        "< 1000 us", None if not hh else m(hh, "delivery_p99_us") < 1000)
    hi = idle_run(runs, "herald")
    add("Server RSS per idle connection",
        f"{fmt(m(hi, 'server_rss_per_conn_kib'))} KiB ({hi['params']['connections'] if hi else '-'} connections)",
        "<= 1.5 KiB", at_most(m(hi, "server_rss_per_conn_kib"), 1.5))
    add("Server CPU per connection set-up", f"{fmt(m(hi, 'server_cpu_us_per_connection'))} us", "<= 50 us",
        at_most(m(hi, "server_cpu_us_per_connection"), 50))
    hs = pick(runs, "herald", "connect", key=lambda r: r["metrics"].get("connected", 0))
    add("Concurrent authenticated connections", f"{fmt(m(hs, 'connected'))}", ">= 100,000",
        None if not hs else m(hs, "connected") >= 100000)
    st = h("storm")
    if st:
        sm = st["metrics"]
        ok = (sm.get("failed") == 0 and is_num(sm.get("connected_p99_us")) and sm["connected_p99_us"] < 250000
              and sm.get("statuses_complete") == "yes" and is_num(sm.get("last_status_after_last_join_s"))
              and sm["last_status_after_last_join_s"] <= 15)
        add(f"Storm ({st['params']['users']} users at {fmt(st['params']['connect_rate'])}/s, audience all)",
            f"{sm.get('failed')} failed, connected p99 {fmt(sm.get('connected_p99_us', 0) / 1000)} ms, "
            f"statuses {fmt(sm.get('statuses_received'))}/{fmt(sm.get('statuses_expected'))}, last "
            f"{fmt(sm.get('last_status_after_last_join_s'))} s after the last join",
            "0 failed, p99 < 250 ms, all within 15 s", ok)
    else:
        add("Storm (audience all)", "-", "0 failed, p99 < 250 ms, all within 15 s", None)
    return rows


def plots(runs, out_dir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    fig, ax = plt.subplots(figsize=(8, 5))
    for s in SERVERS:
        chats = sorted((r for r in runs if r["label"] == s and r["scenario"] == "chat"),
                       key=lambda r: r["metrics"].get("delivered_per_s", 0))
        if not chats:
            continue
        x = [r["metrics"]["delivered_per_s"] for r in chats]
        for key, style in (("delivery_p50_us", ":"), ("delivery_p99_us", "-"), ("delivery_p999_us", "--")):
            ax.plot(x, [max(r["metrics"].get(key, 0), 1) for r in chats], style, marker="o",
                    label=f"{NAMES[s]} {key.split('_')[1]}")
    if ax.lines:
        ax.set_xlabel("delivered chat messages/s (offered load capped by --rate; rightmost = closed loop)")
        ax.set_ylabel("delivery latency (us, log)")
        ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
        ax.set_title("Chat delivery latency percentiles vs load")
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "chat_latency_vs_load.png"), dpi=110)
        made.append("chat_latency_vs_load.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 5))
    for s in SERVERS:
        pts = sorted((r["params"]["connections"], (r["metrics"]["server_rss_after_kib"] - r["metrics"]["server_rss_before_kib"]) / 1024)
                     for r in runs if r["label"] == s and r["scenario"] == "connect"
                     and is_num(r["metrics"].get("server_rss_after_kib")) and r["metrics"].get("server_rss_before_kib", -1) >= 0)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=NAMES[s])
    if ax.lines:
        ax.set_xlabel("idle authenticated connections")
        ax.set_ylabel("server RSS above the empty server (MiB)")
        ax.grid(True, alpha=0.3)
        ax.legend()
        ax.set_title("Server memory vs connections")
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "rss_vs_connections.png"), dpi=110)
        made.append("rss_vs_connections.png")
    plt.close(fig)
    return made


def micro_section(path):
    """The Google Benchmark run (micro_bench --benchmark_format=json), if there is one."""
    if not path or not os.path.exists(path):
        return []
    try:
        data = json.load(open(path))
    except json.JSONDecodeError:  # an interrupted micro_bench leaves half a file
        return ["### Micro-benchmarks (Google Benchmark)", "",
                f"`{path}` is incomplete (micro_bench was interrupted); rerun `make bench`.", ""]
    out = ["### Micro-benchmarks (Google Benchmark)", "",
           "One thread, pinned to CPU 0: `taskset -c 0 build/micro_bench --benchmark_min_time=0.2 "
           "--benchmark_format=json`. CPU time per call; items/s where the benchmark counts items.", "",
           "| benchmark | CPU time per call | items/s |", "| --- | --- | --- |"]
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate":
            continue
        unit = b.get("time_unit", "ns")
        items = b.get("items_per_second")
        out.append(f"| `{b['name']}` | {fmt(b['cpu_time'])} {unit} | {fmt(items) if items else '-'} |")
    return out + [""]


def tls_section(path):
    """Herald without and with TLS (bench/scripts/run-tls.sh), if that file exists."""
    if not path or not os.path.exists(path):
        return []
    runs, commands, _, machine, _ = load(path)
    labels = [("herald", "plain (ws://)"), ("herald-tls", "TLS (wss://)")]
    out = ["### TLS beside plain (Herald)", "",
           f"`bench/scripts/run-tls.sh` ({machine.get('mode', '?')} mode, {machine.get('date', '?')}, "
           f"commit {machine.get('commit', '?')}, {machine.get('openssl', 'OpenSSL')}): the same binary "
           "without and with `--tls-cert` (self-signed ECDSA P-256), the loader without and with `--tls` "
           "(a full TLS 1.3 handshake per connection, X25519, no resumption, no certificate check). "
           "Set-up CPU and memory per connection include the TLS handshake and the TLS state kept "
           "per connection (Asio's SSL stream: its own 17 KiB input and output buffers and an "
           "OpenSSL BIO pair of two more, plus OpenSSL's session; see ARCHITECTURE.md). Both columns "
           "come from this one run, server by server within each step; compare them with each other "
           "rather than with the tables above, which come from another run at another machine load. "
           "Rerun: `bench/scripts/run-tls.sh --report` (`--quick` for a short run).", ""]
    rows = [
        ("connect", "connects/s", "connects_per_s"),
        ("connect", "connect -> `connected` p50 (us)", "connected_p50_us"),
        ("connect", "connect -> `connected` p99 (us)", "connected_p99_us"),
        ("connect", "server CPU per connection set-up (us)", "server_cpu_us_per_connection"),
        ("connect", "server RSS per idle connection (KiB)", "server_rss_per_conn_kib"),
        ("ping", "ping round trips/s", "round_trips_per_s"),
        ("ping", "ping RTT p99 (us)", "rtt_p99_us"),
        ("ping", "server CPU per round trip (us)", "server_cpu_us_per_round_trip"),
        ("chat", "chat delivered msgs/s", "delivered_per_s"),
        ("chat", "chat delivery p99 (us)", "delivery_p99_us"),
        ("chat", "server CPU per delivered msg (us)", "server_cpu_us_per_message"),
    ]
    out += ["| figure | " + " | ".join(name for _, name in labels) + " | TLS / plain |",
            "| --- | --- | --- | --- |"]
    for scenario, name, key in rows:
        vals = []
        for label, _ in labels:
            r = pick(runs, label, scenario)
            vals.append(r["metrics"].get(key) if r else None)
        out.append(f"| {name} | {fmt(vals[0])} | {fmt(vals[1])} | {ratio(vals[1], vals[0])} |")
    params = {scen: pick(runs, "herald", scen) for scen in ("connect", "ping", "chat")}
    out += ["", "Parameters: " + "; ".join(
        f"{scen}: " + ", ".join(f"{k}={v}" for k, v in r["params"].items() if k not in ("sources", "tls"))
        for scen, r in params.items() if r), ""]
    out += ["Commands (TMP: the script's temporary directory):", "", "```"]
    seen = []
    for label, _ in labels:
        for c in commands.get(label, []):
            for line in (c["server"], c["loadgen"]):
                if line not in seen:
                    seen.append(line)
    return out + seen + ["```", ""]


def chat_tail_section(path):
    """Issue 9's chat tail (bench/scripts/chat-tail.sh): closed-loop chat at a few
    messages in flight, Herald and uWebSockets.js back to back, repeated; the
    median of the repeats with their spread, and how busy other work kept the
    machine meanwhile."""
    if not path or not os.path.exists(path):
        return []
    runs = [json.loads(line) for line in open(path) if line.strip()]
    runs = [r for r in runs if r.get("scenario") == "chat"]
    if not runs:
        return []
    labels = []
    for r in runs:
        if r["label"] not in labels:
            labels.append(r["label"])
    # Another Herald build measured in the same rounds (chat-tail.sh --also herald-<rev>=PATH).
    name = lambda label: NAMES.get(label) or (f"Herald {label[7:]}" if label.startswith("herald-") else label)
    windows = sorted({r["params"]["window"] for r in runs})
    reps = max(r["params"].get("rep", 1) for r in runs)
    p = runs[0]["params"]
    out = ["## Chat tail (issue 9)", "",
           f"Closed-loop chat, {p['pairs']} sender/receiver pairs, each sender keeping `window` messages in flight, "
           f"{fmt(p['duration_s'])} s measured after {fmt(p.get('warmup_s', 2))} s of warm-up; Herald persists every "
           "chat in SQLite before its `ack`, uWebSockets.js keeps chat in memory. Each round runs every server "
           f"back to back at each window; {reps} rounds (`runs`: those that completed). Each cell is the median of "
           "the runs, with the lowest and highest in brackets. Delivery latency: send to the recipient's `chat` frame (the `ack` "
           "latency is within a few microseconds of it). A row \"Herald <rev>\" is another build of Herald "
           "(`chat-tail.sh --also herald-<rev>=PATH`) in the same rounds, such as the code before a change. "
           "Written by `bench/scripts/chat-tail.sh` from `docs/bench/chat_tail.jsonl`.", ""]
    cells = [("delivered_per_s", "msgs/s"), ("delivery_p50_us", "p50 (us)"), ("delivery_p99_us", "p99 (us)"),
             ("delivery_p999_us", "p99.9 (us)"), ("delivery_max_us", "max (us)")]

    def median(xs):
        xs = sorted(xs)
        n = len(xs)
        return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2

    out += ["| window | server | runs | " + " | ".join(c[1] for c in cells) + " | others' CPU share (CPU 0 / CPU 1) |",
            "|" + " --- |" * (len(cells) + 4)]
    loaded = []
    for w in windows:
        for label in labels:
            rs = [r for r in runs if r["label"] == label and r["params"]["window"] == w]
            if not rs:
                continue
            line = [str(w), name(label), str(len(rs))]
            for key, _ in cells:
                xs = [r["metrics"][key] for r in rs if is_num(r["metrics"].get(key))]
                line.append(f"{fmt(median(xs))} [{fmt(min(xs))}-{fmt(max(xs))}]" if xs else "-")
            o0 = [r["metrics"].get("other_cpu0_share", 0) for r in rs]
            o1 = [r["metrics"].get("other_cpu1_share", 0) for r in rs]
            line.append(f"{median(o0):.0%} / {median(o1):.0%} (max {max(o0):.0%} / {max(o1):.0%})")
            out.append("| " + " | ".join(line) + " |")
            loaded += [r for r in rs if max(r["metrics"].get("other_cpu0_share", 0),
                                            r["metrics"].get("other_cpu1_share", 0)) > 0.1]
    out += ["", "Others' CPU share: the CPU time other processes took on the server's CPU (0) and the load "
            "generator's (1) while the run went on, as a share of its length: this machine is shared, and "
            "work beside the run slows both the server and the load generator."]
    short = [r for r in runs if r["metrics"].get("pairs_ready") != r["params"]["pairs"]]
    if short:
        out += [f"**{len(short)} runs had fewer pairs connected than asked** (" +
                ", ".join(f"{name(r['label'])} window {r['params']['window']}: {r['metrics'].get('pairs_ready')}"
                          for r in short) + "); their figures are not comparable."]
    if loaded:
        out += [f"{len(loaded)} of the {len(runs)} runs were taken while other work took more than a tenth "
                "of a CPU; their figures are slower and their tails longer than on an idle machine."]
    out += ["", "Commands (each run: a fresh server, then the load generator; `bench/scripts/chat-tail.sh` "
            "runs them all):", "", "```"]
    seen = []
    for r in runs:
        for key in ("server", "loadgen"):
            line = r.get("commands", {}).get(key)
            if line:
                for pattern, repl in ((r"--port \d+", "--port P"), (r"--server-pid \d+", "--server-pid PID"),
                                      (r"--data-dir \S+", "--data-dir D"), (r"--(jwt-)?secret \S+", r"--\1secret S"),
                                      (r"--label \S+ ", "")):
                    line = re.sub(pattern, repl, line)
                if line not in seen:
                    seen.append(line)
    return out + seen + ["```", ""]


def mailbox_section(path):
    """Mailbox replay and notifications (issue 11), from
    bench/scripts/mailbox-bench.py's JSON lines."""
    if not os.path.exists(path):
        return []
    rows = [json.loads(line) for line in open(path) if line.strip()]
    cmd = next((r for r in rows if r.get("measure") == "_command"), None)
    def stats(measure, key):
        vals = sorted(r[key] for r in rows if r.get("measure") == measure)
        if not vals:
            return "-"
        p99 = vals[min(len(vals) - 1, int(round(0.99 * (len(vals) - 1))))]
        return f"{statistics.median(vals):,.1f} / {p99:,.1f} / {vals[-1]:,.1f} ({len(vals)} runs)"
    out = ["## Mailbox and notifications (issue 11)", "",
           "Written by `bench/scripts/mailbox-bench.py` into `docs/bench/mailbox.jsonl` (server on CPU 0, one worker;",
           "the Python client on CPU 1). Server CPU is every thread's run time over the whole operation",
           "(`/proc/<pid>/task/*/schedstat`); client wall time includes the Python client's own parsing.",
           "Figures are median / p99 / max in milliseconds.", "",
           "| what | measure | median / p99 / max (ms) | target |", "| --- | --- | --- | --- |",
           f"| `since=0` replay of 10,000 chats | server CPU | {stats('replay', 'server_cpu_ms')} | < 50 ms server time |",
           f"| the same | client wall, connect to last frame | {stats('replay', 'client_wall_ms')} | |",
           f"| publish to 10,000 users, 1,000 online | to the 202 (all stored) | {stats('publish', 'accepted_ms')} | < 100 ms |",
           f"| the same | to the last online recipient's frame, as read by the Python client | {stats('publish', 'delivered_ms')} | (see note) |",
           f"| the same | server CPU | {stats('publish', 'server_cpu_ms')} | |"]
    for r in rows:
        if r.get("measure") == "sustained":
            out.append(f"| sustained publishes (100 recipients a call, 8 in flight, 1,000 online) | stored / delivered per s |"
                       f" {r['stored_per_s']:,.0f} / {r['delivered_per_s']:,.0f} (server CPU {r['server_cpu_util']:.2f}) | |")
    loadgen = os.path.join(os.path.dirname(path), "publish.jsonl")
    if os.path.exists(loadgen):
        for line in open(loadgen):
            if not line.strip():
                continue
            m = json.loads(line)["metrics"]
            ms = lambda k: f"{m[k + '_p50_us'] / 1000:,.1f} / {m[k + '_p99_us'] / 1000:,.1f} / {m[k + '_max_us'] / 1000:,.1f}"  # noqa: E731
            out.append(f"| publish to 10,000 users, 1,000 online, read by herald-loadgen ({m['calls']} calls) |"
                       f" to the 202 / to the last online recipient's frame / server CPU |"
                       f" {ms('accepted')} / {ms('delivered')} / {ms('server_cpu')} | < 100 ms |")
    out += ["",
            "The publish is sent by `curl` in its own process (so the timing to the 202 is curl's `time_total`,",
            "without the Python client's first-call costs), after one unrecorded warm-up publish and after the",
            "server has gone idle. \"Delivered\" is measured by one Python process reading 1,000 sockets on one",
            "core: it includes that client's parsing of 1,000 frames and curl's start, so it is an upper bound",
            "for the server's part; the server's own work for the whole publish (store 10,000, push 1,000) is",
            "the server-CPU row. The herald-loadgen rows (`--scenario publish`, one C++ epoll thread reading the",
            "1,000 sockets, the POST on a thread of its own) measure the same call without the Python client: each",
            "row is one run of 60 calls after a warm-up (600,000 notifications stored by the last), median / p99 /",
            "max in ms for each of the three figures (nine numbers). A publish is one row of",
            "`notification_batches` whatever its recipients; the per-user index is written later by the fold, so",
            "the calls do not slow down as the store grows (before: +1.9 ms a call, docs/PERFORMANCE.md \"Publish\").",
            "",
            "```",
            "taskset -c 1 build/herald-loadgen --scenario publish --port P --secret S --api-key K --server-pid PID \\",
            "    --connections 1000 --recipients 10000 --reps 60 --timeout 60 --json docs/bench/publish.jsonl",
            "```", ""]
    if cmd:
        out += ["Commands:", "", "```", cmd["server"], cmd["client"], "```", ""]
    reads = os.path.join(os.path.dirname(path), "notifications_rest.txt")
    if os.path.exists(reads):
        out += ["The notifications' read side with 600,000 stored (10,000 users holding 60 each), over HTTP on",
                "one keep-alive connection from Python, one request at a time (so each figure includes the",
                "HTTP round trip and the client; marking read includes the write job's group commit):", "",
                "```"] + open(reads).read().rstrip().splitlines() + ["```", "",
                "```", "bench/scripts/notifications-read-bench.sh > docs/bench/notifications_rest.txt", "```", ""]
    return out


def cluster_section(path):
    """The cluster at scale on this machine (bench/scripts/cluster_scale.py),
    included as that script wrote it."""
    if not os.path.exists(path):
        return []
    return ["## Cluster: 100,000 connections on one machine", "",
            "Six Herald nodes sharing one Redis and one PostgreSQL on this 2-core machine (a process may",
            "hold 20,000 descriptors here), one `herald-loadgen` per node holding its share of authenticated",
            "connections open, then 20 s idle. Everything shares the two cores (nodes, load generators,",
            "Redis, PostgreSQL), so set-up figures are the machine's, not one node's. Server RSS per",
            "connection includes each node's copy of the cluster's presence and directory (every node",
            "knows every online user); kernel memory counts both ends of each loopback connection.", ""] + \
        open(path).read().rstrip().splitlines() + ["", "```",
        "bench/scripts/cluster_scale.py --nodes 6 --connections 100000 --connect-rate 2500 --idle 20 --postgres \\",
        "    --out docs/bench/cluster_scale.txt", "```", ""] + cluster_chat(os.path.join(os.path.dirname(path),
                                                                                   "cluster_chat.txt"))


def cluster_chat(path):
    if not os.path.exists(path):
        return []
    return ["### Chat and presence fan-out across nodes", "",
            "Closed-loop chat on PostgreSQL storage: one node; the same node also publishing every chat to",
            "Redis (the hop a cluster pays for recipients elsewhere); two nodes with senders on one and",
            "receivers on the other. Then presence fan-out (one publisher, 2,000 listeners following it,",
            "closed loop) with the listeners on the publisher's node or on the other: a status change crosses",
            "Redis once and fans out at the receiving node. Nothing pinned: the nodes, PostgreSQL, Redis and",
            "the load generator share both cores, and CPU is all of theirs (PostgreSQL's backends most of a",
            "chat's).", ""] + \
        open(path).read().rstrip().splitlines() + ["", "```",
        "bench/scripts/cluster_chat.py --window 4 --duration 8 --out docs/bench/cluster_chat.txt", "```", ""]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--plots", required=True)
    ap.add_argument("--micro", help="micro_bench JSON output (optional)")
    ap.add_argument("--tls", help="bench/scripts/run-tls.sh JSON output (optional)")
    ap.add_argument("--history", help="the History section, measured by micro_bench (optional; default:"
                    " history.md beside --results, included as written)")
    ap.add_argument("--chat-tail", help="bench/scripts/chat-tail.sh output (optional; default: chat_tail.jsonl"
                    " beside --results)")
    a = ap.parse_args()
    runs, commands, skipped, machine, notes = load(a.results)
    os.makedirs(a.plots, exist_ok=True)
    made = plots(runs, a.plots)
    rel = os.path.relpath(a.plots, os.path.dirname(os.path.abspath(a.out)))

    md = ["# Herald benchmarks", "",
          "Written by `bench/scripts/report.py` from `docs/bench/results.jsonl`, the output of",
          f"`bench/scripts/run-bench.sh` (`make bench`; this run: **{machine.get('mode', '?')}** mode). "
          "Rerun it to refresh every figure here; nothing below is typed by hand.", "",
          "Method: one fresh server per run, pinned to CPU 0 (`taskset -c 0`); `herald-loadgen` (C++, one epoll",
          "thread, its own RFC 6455 client framing, HS256 tokens minted in-process) pinned to CPU 1. Server CPU is",
          "the sum of all its threads' run time (`/proc/<pid>/task/*/schedstat`) over the measured window, so",
          "Herald's storage thread is included; RSS is `VmRSS`. Loopback TCP: the kernel work of a send is",
          "charged partly to the receiving side, so both the server's and the load generator's CPU include some",
          "of the other's socket costs. Herald runs with its rate limit lifted (`--rate-limit 1000000`), other",
          "limits at their defaults, and persists every chat message in SQLite before the ack; the peers keep",
          "chat in memory (bench/peers/README.md).", ""]
    if skipped:
        md += ["**Servers skipped in this run:**", ""]
        md += [f"- {NAMES.get(k, k)}: did not start ({v.strip() or 'no output'})" for k, v in skipped.items()]
        md += [""]

    md += ["## Targets (issue 3)", "", "| target | Herald measured | goal | verdict |", "| --- | --- | --- | --- |"]
    md += [f"| {n} | {v} | {g} | {ok} |" for n, v, g, ok in targets(runs)]
    md += ["", "Ratios are against the uWebSockets.js peer measured in the same run. What limits each target",
           "that is not met, with the profiles, is in [PERFORMANCE.md](PERFORMANCE.md).", ""]

    tail = a.chat_tail or os.path.join(os.path.dirname(os.path.abspath(a.results)), "chat_tail.jsonl")
    md += chat_tail_section(tail)
    history = a.history or os.path.join(os.path.dirname(os.path.abspath(a.results)), "history.md")
    if os.path.exists(history):
        md += open(history).read().rstrip("\n").split("\n") + [""]
    md += mailbox_section(os.path.join(os.path.dirname(os.path.abspath(a.results)), "mailbox.jsonl"))
    md += cluster_section(os.path.join(os.path.dirname(os.path.abspath(a.results)), "cluster_scale.txt"))

    md += ["## Scenarios", ""]
    by = lambda scen, pred=lambda r: True, key=None: {s: pick(runs, s, scen, pred, key) for s in SERVERS}
    md += scenario_table("Idle connections (connect)", {s: idle_run(runs, s) for s in SERVERS}, [
        ("connected", "connected"), ("failed", "failed"), ("connects_per_s", "connects/s"),
        ("connected_p50_us", "connect -> `connected` p50 (us)"), ("connected_p99_us", "connect -> `connected` p99 (us)"),
        ("server_cpu_us_per_connection", "server CPU per connection set-up (us)"),
        ("server_rss_per_conn_kib", "server RSS per idle connection (KiB)"),
        ("loadgen_cpu_us_per_connection", "load generator CPU per connection (us)")])
    md += scenario_table("Chat, closed loop (max throughput)", by("chat", lambda r: not r["params"].get("rate")), [
        ("delivered_per_s", "delivered msgs/s"), ("delivery_p50_us", "delivery p50 (us)"),
        ("delivery_p99_us", "delivery p99 (us)"), ("delivery_p999_us", "delivery p99.9 (us)"),
        ("delivery_max_us", "delivery max (us)"),
        ("ack_p50_us", "ack p50 (us)"), ("ack_p99_us", "ack p99 (us)"), ("ack_p999_us", "ack p99.9 (us)"),
        ("ack_max_us", "ack max (us)"),
        ("server_cpu_us_per_message", "server CPU per delivered msg (us)"), ("server_cpu_util", "server CPU utilisation"),
        ("loadgen_cpu_us_per_message", "load generator CPU per msg (us)"),
        ("loadgen_cpu_util", "load generator CPU utilisation (near 1.0: it was the limit)")])
    md += scenario_table("Chat at half of each server's own max throughput", {s: half_rate_run(runs, s) for s in SERVERS}, [
        ("delivered_per_s", "delivered msgs/s"), ("delivery_p50_us", "delivery p50 (us)"),
        ("delivery_p99_us", "delivery p99 (us)"), ("delivery_p999_us", "delivery p99.9 (us)"),
        ("delivery_max_us", "delivery max (us)"),
        ("server_cpu_us_per_message", "server CPU per delivered msg (us)")],
        note="Each server is offered half of the rate it reached in its own closed-loop run (so rates differ).")
    fanout_rows = [
        ("offered_deliveries_per_s", "offered deliveries/s"), ("deliveries_per_s", "deliveries/s"),
        ("delivery_p50_us", "latency p50 (us)"), ("delivery_p99_us", "latency p99 (us)"),
        ("delivery_p999_us", "latency p99.9 (us)"), ("server_cpu_us_per_delivery", "server CPU per delivery (us)"),
        ("server_cpu_util", "server CPU utilisation"),
        ("loadgen_cpu_us_per_delivery", "load generator CPU per delivery (us)"),
        ("loadgen_cpu_util", "load generator CPU utilisation (near 1.0: it was the limit)")]
    md += scenario_table("Presence fan-out, closed loop (max deliveries/s)",
                         by("fanout", lambda r: not r["params"].get("rate")), fanout_rows)
    md += scenario_table("Presence fan-out at the offered rate",
                         by("fanout", lambda r: bool(r["params"].get("rate"))), fanout_rows)
    md += scenario_table("Ping", by("ping"), [
        ("round_trips_per_s", "round trips/s"), ("rtt_p50_us", "RTT p50 (us)"), ("rtt_p99_us", "RTT p99 (us)"),
        ("server_cpu_us_per_round_trip", "server CPU per round trip (us)"),
        ("loadgen_cpu_us_per_round_trip", "load generator CPU per round trip (us)"),
        ("loadgen_cpu_util", "load generator CPU utilisation (near 1.0: it was the limit)"),
        ("server_cpu_util", "server CPU utilisation")])
    md += scenario_table("Reconnect storm (audience all)", by("storm"), [
        ("connected", "connected"), ("failed_pct", "failed %"), ("connected_p50_us", "`connected` p50 (us)"),
        ("connected_p99_us", "`connected` p99 (us)"), ("all_connected_after_s", "all connected after (s)"),
        ("statuses_received", "user_status received"), ("statuses_expected", "user_status expected"),
        ("last_status_after_last_join_s", "last status after last join (s)"), ("server_cpu_s", "server CPU (s)"),
        ("ended_by_server", "connections ended by")])
    scale = [r for r in runs if r["label"] == "herald" and r["scenario"] == "connect" and r["params"]["connections"] > 10000]
    if scale:
        md += ["### Scale (Herald)", "", "| asked | connected | connects/s | RSS per conn (KiB) | ended by |", "| --- | --- | --- | --- | --- |"]
        for r in scale:
            mm = r["metrics"]
            md.append(f"| {r['params']['connections']} | {fmt(mm.get('connected'))} | {fmt(mm.get('connects_per_s'))} | "
                      f"{fmt(mm.get('server_rss_per_conn_kib'))} | {mm.get('ended_by_server')} |")
        md += [""]

    md += tls_section(a.tls)

    if notes:
        md += ["### Notes from the run", ""] + [f"- {n}" for n in notes] + [""]

    md += micro_section(a.micro)

    if made:
        md += ["## Plots", ""] + [f"![{p}]({rel}/{p})" for p in made] + [""]

    md += ["## Machine", "", "| | |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in machine.items()] + [""]
    md += ["## Commands", "", "Reproduce everything: `make bench` (or `make bench-quick`), i.e. "
           "`bench/scripts/run-bench.sh [--quick]`. Each run below started a fresh server with the first "
           "command and measured it with the second (P, S and PID filled in by the script).", ""]
    for s in SERVERS:
        if commands.get(s):
            md += [f"**{NAMES[s]}**", "", "```"]
            seen = []
            for c in commands[s]:
                for line in (c["server"], c["loadgen"]):
                    if line not in seen:
                        seen.append(line)
            md += seen + ["```", ""]
    with open(a.out, "w") as f:
        f.write("\n".join(md))
    print(f"wrote {a.out}" + (f" and {len(made)} plots" if made else ""))


if __name__ == "__main__":
    main()
