#!/usr/bin/env python3
"""report.py: the results of bench/run.sh — one wrk run at a time in, one table out.

  add RESULTS WRK_OUTPUT key=value...
      Reads the "BENCH {...}" line bench/check.lua printed, judges it (no socket errors,
      every status the expected one, Content-Length on every body, no Connection: close)
      and appends one JSON line to RESULTS with the given keys (round, scenario, label,
      contestant, conns, expect, compare). Prints a one-line progress note.
  fail RESULTS REASON key=value...
      Appends a failed record without a wrk run (the answer check before it failed).
  table RESULTS META OUT_DIR
      Medians over the rounds of every (scenario, contestant, connections), the ratio of
      plenary to each peer, the targets of issue 6, and META's notes; printed, and written
      to OUT_DIR/last.txt and OUT_DIR/last.md. Exit 1 if any scenario failed.

A failed run is reported as FAILED with its reason and never counted in a median.
"""
import json
import statistics
import sys

PRIMARY = "plenary"


def parse_keys(pairs):
    out = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        out[key] = value
    return out


def judge(stats, expect):
    problems = []
    for name in ("connect", "read", "write", "timeout"):
        if stats.get(name):
            problems.append(f"{stats[name]} {name} errors")
    statuses = stats.get("statuses", {})
    unexpected = {s: n for s, n in statuses.items() if s != str(expect)}
    if unexpected:
        problems.append("statuses " + ", ".join(f"{s}x{n}" for s, n in sorted(unexpected.items())))
    if stats.get("missing_length"):
        problems.append(f"{stats['missing_length']} answers without Content-Length")
    if stats.get("closes"):
        problems.append(f"{stats['closes']} answers with Connection: close")
    if stats.get("requests", 0) == 0:
        problems.append("no answer completed within the run")
    return problems


def cmd_add(args):
    results, wrk_output, keys = args[0], args[1], parse_keys(args[2:])
    record = dict(keys)
    record["conns"] = int(record.get("conns", 0))
    stats = None
    try:
        with open(wrk_output, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        text = ""
        record["reason"] = f"no wrk output: {e}"
    for line in text.splitlines():
        if line.startswith("BENCH "):
            stats = json.loads(line[6:])
    if stats is None:
        tail = " / ".join(text.strip().splitlines()[-2:])
        record["ok"] = False
        record.setdefault("reason", f"wrk gave no result ({tail})" if tail else "wrk gave no result")
    else:
        problems = judge(stats, record.get("expect", "200"))
        record.update(stats)
        record["rps"] = stats["requests"] / (stats["duration_us"] / 1e6) if stats["duration_us"] else 0
        record["ok"] = not problems
        if problems:
            record["reason"] = "; ".join(problems)
    with open(results, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    head = f"  r{record.get('round')} {record.get('scenario'):>3} {record.get('contestant'):<13} c{record['conns']:<4}"
    if record["ok"]:
        print(f"{head} {record['rps']:>9.0f} req/s  p50 {ms(record['p50_us'])}  p99 {ms(record['p99_us'])}")
    else:
        print(f"{head} FAILED: {record['reason']}")
    return 0


def cmd_fail(args):
    results, reason, keys = args[0], args[1], parse_keys(args[2:])
    record = dict(keys)
    record["conns"] = int(record.get("conns", 0))
    record["ok"] = False
    record["reason"] = reason
    with open(results, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    return 0


def ms(us):
    if us is None:
        return "-"
    v = us / 1000.0
    if v < 10:
        return f"{v:.2f} ms"
    if v < 100:
        return f"{v:.1f} ms"
    return f"{v:.0f} ms"


def ratio_text(x):
    if x >= 100:
        return f"{x:.0f}x"
    if x >= 10:
        return f"{x:.1f}x"
    return f"{x:.2f}x"


def load(results):
    records = []
    with open(results, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                records.append(json.loads(line))
    return records


def summarise(records):
    """Rows in the order first met: medians, or FAILED with the first reason."""
    groups = {}
    for r in records:
        key = (r["scenario"], r["contestant"], r["conns"])
        groups.setdefault(key, []).append(r)
    rows = []
    for (scenario, contestant, conns), runs in groups.items():
        row = {
            "scenario": scenario,
            "label": runs[0].get("label", scenario),
            "contestant": contestant,
            "conns": conns,
            "compare": runs[0].get("compare", "rps"),
            "runs": len(runs),
        }
        failed = [r for r in runs if not r.get("ok")]
        if failed:
            row["failed"] = failed[0].get("reason", "failed")
        else:
            row["rps"] = statistics.median(r["rps"] for r in runs)
            row["p50_us"] = statistics.median(r["p50_us"] for r in runs)
            row["p99_us"] = statistics.median(r["p99_us"] for r in runs)
            # each round's own figures, for the targets: a median that misses in one slow
            # round of the machine then shows it
            row["by_round"] = {str(r.get("round")): r for r in runs}
        rows.append(row)
    for row in rows:
        row["ratio"] = ""
        if row["contestant"] != PRIMARY or "failed" in row:
            continue
        parts = []
        for peer in rows:
            if (peer["scenario"], peer["conns"]) != (row["scenario"], row["conns"]):
                continue
            if peer is row or peer["contestant"] == PRIMARY:
                continue
            if "failed" in peer:
                parts.append(f"- vs {peer['contestant']} (failed)")
            elif row["compare"] == "p99":
                if peer["p99_us"]:
                    parts.append(f"p99 {ratio_text(row['p99_us'] / peer['p99_us'])} {peer['contestant']}")
            elif peer["rps"]:
                parts.append(f"{ratio_text(row['rps'] / peer['rps'])} {peer['contestant']}")
        row["ratio"] = ", ".join(parts)
    return rows


def find(rows, scenario, contestant, conns):
    for row in rows:
        if (row["scenario"], row["contestant"], row["conns"]) == (scenario, contestant, conns):
            return row
    return None


def per_round(a, b, show):
    """" (rounds x, y, z)": show(a's run, b's run of the same round) for each round both
    have (b None: a's alone); empty with fewer than two rounds."""
    rounds = [k for k in a.get("by_round", {}) if b is None or k in b.get("by_round", {})]
    if len(rounds) < 2:
        return ""
    rounds.sort(key=lambda k: int(k) if k.isdigit() else 0)
    shown = [show(a["by_round"][k], None if b is None else b["by_round"][k]) for k in rounds]
    return " (rounds " + ", ".join(shown) + ")"


def targets(rows, meta):
    """Issue 6's targets: (text, verdict) pairs; informative, they never fail the run."""
    out = []
    conns_seen = sorted({row["conns"] for row in rows})

    def rps_target(scenario, peer, factor, text):
        for c in conns_seen:
            a, b = find(rows, scenario, PRIMARY, c), find(rows, scenario, peer, c)
            if a is None or b is None:
                continue
            if "failed" in a or "failed" in b:
                out.append((f"{text} at {c}", "failed"))
            else:
                x = a["rps"] / b["rps"]
                each = per_round(a, b, lambda p, q: ratio_text(p["rps"] / q["rps"]) if q["rps"] else "-")
                out.append((f"{text} at {c}: {ratio_text(x)}{each}", "met" if x >= factor else "missed"))

    def p99_target(scenario, text):
        for c in conns_seen:
            a, b = find(rows, scenario, PRIMARY, c), find(rows, scenario, "plenary-seed", c)
            if a is None or b is None:
                continue
            if "failed" in a or "failed" in b:
                out.append((f"{text} at {c}", "failed"))
            else:
                x = a["p99_us"] / b["p99_us"]
                each = per_round(a, b, lambda p, q: ratio_text(p["p99_us"] / q["p99_us"]) if q["p99_us"] else "-")
                out.append((f"{text} at {c}: {ratio_text(x)}{each}", "met" if x <= 2 else "missed"))

    rps_target("1", "nginx", 1.0, "cached page >= 1.0x nginx")
    rps_target("2", "nginx", 1.0, "304 >= 1.0x nginx's 304")
    rps_target("3", "json-server", 10.0, "cache off, filtered list >= 10x json-server")
    p99_target("4a", "large record, filtered page p99 <= 2x seed record")
    p99_target("4b", "large record, deep keyset page p99 <= 2x seed record")
    for c in conns_seen:
        a = find(rows, "4c", PRIMARY, c)
        if a is not None:
            if "failed" in a:
                out.append((f"large record, search p99 < 20 ms at {c}", "failed"))
            else:
                each = per_round(a, None, lambda p, q: f"{ms(p['p99_us'])} at {p['rps']:,.0f}/s")
                out.append((f"large record, search p99 < 20 ms at {c}: {ms(a['p99_us'])}{each}",
                            "met" if a["p99_us"] < 20000 else "missed"))
    rss = meta.get("rss_json")
    if rss:
        try:
            r = json.loads(rss)
        except ValueError:
            r = {}
        if "vm_hwm_kb" in r:
            mb = r["vm_hwm_kb"] / 1024
            held = f"{r['connections']} of {r.get('asked', '?')}"
            out.append((f"peak RSS <= 64 MB with 1,000 open connections: {mb:.1f} MB, {held} held",
                        "met" if mb <= 64 and r["connections"] >= 1000 else "missed"))
        else:
            out.append(("peak RSS with 1,000 open connections", "failed"))
    fa = meta.get("first_answer_ms")
    if fa:
        try:
            v = float(fa)
            out.append((f"first answer within 100 ms of start: {v:.0f} ms", "met" if v <= 100 else "missed"))
        except ValueError:
            out.append(("first answer within 100 ms of start", "failed"))
    return out


HEAD = ["scenario", "contestant", "conns", "req/s", "p50", "p99", "ratio (plenary to peer)"]


def cells(row):
    if "failed" in row:
        return [row["label"], row["contestant"], str(row["conns"]), "FAILED", "-", "-", row["failed"]]
    return [row["label"], row["contestant"], str(row["conns"]), f"{row['rps']:.0f}",
            ms(row["p50_us"]), ms(row["p99_us"]), row["ratio"]]


def render_text(rows, meta, goals):
    lines = []
    for key in ("title", "command", "machine", "software", "data"):
        if meta.get(key):
            lines.append(f"{key + ':':<10}{meta[key]}")
    lines.append("")
    table = [HEAD] + [cells(r) for r in rows]
    widths = [max(len(t[i]) for t in table) for i in range(len(HEAD))]
    right = {2, 3, 4, 5}
    for n, t in enumerate(table):
        lines.append("  ".join(
            (c.rjust(widths[i]) if i in right else c.ljust(widths[i])) for i, c in enumerate(t)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    for key in ("scenarios", "rss", "first_answer", "notes"):
        if meta.get(key):
            lines.append(f"{key.replace('_', ' ')}: {meta[key]}")
    if goals:
        lines.append("")
        lines.append("targets (issue 6)" + (" — smoke mode, not judged" if meta.get("smoke") == "1" else "") + ":")
        for text, verdict in goals:
            lines.append(f"  [{verdict}] {text}")
    return "\n".join(lines) + "\n"


def render_md(rows, meta, goals):
    lines = []
    if meta.get("title"):
        lines.append(f"**{meta['title']}**")
        lines.append("")
    for key in ("command", "machine", "software", "data"):
        if meta.get(key):
            value = f"`{meta[key]}`" if key == "command" else meta[key]
            lines.append(f"- {key}: {value}")
    lines.append("")
    lines.append("| " + " | ".join(HEAD) + " |")
    lines.append("|" + "|".join(["---", "---", "---:", "---:", "---:", "---:", "---"]) + "|")
    for r in rows:
        c = cells(r)
        if "failed" in r:
            c[3] = "**FAILED**"
        lines.append("| " + " | ".join(x.replace("|", "\\|") for x in c) + " |")
    lines.append("")
    for key in ("scenarios", "rss", "first_answer", "notes"):
        if meta.get(key):
            lines.append(f"- {key.replace('_', ' ')}: {meta[key]}")
    if goals:
        lines.append("")
        lines.append("Targets (issue 6)" + (", smoke mode, not judged" if meta.get("smoke") == "1" else "") + ":")
        lines.append("")
        for text, verdict in goals:
            lines.append(f"- {verdict}: {text}")
    return "\n".join(lines) + "\n"


def cmd_table(args):
    results, meta_file, out_dir = args
    meta = {}
    with open(meta_file, encoding="utf-8") as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            if key:
                meta[key] = value
    rss = meta.get("rss_json")
    if rss and "rss" not in meta:
        try:
            r = json.loads(rss)
            meta["rss"] = (f"VmHWM {r['vm_hwm_kb'] / 1024:.1f} MB (VmRSS {r['vm_rss_kb'] / 1024:.1f} MB, "
                           f"{r['threads']} threads) with {r['connections']} of {r.get('asked', '?')} keep-alive connections "
                           f"open ({r.get('unanswered', 0)} not taken by the server within 10 s, "
                           f"{r.get('refused', 0)} refused or closed), "
                           f"each after one GET of the list page; default flags (cache on), "
                           f"scale-{meta.get('scale', '?')} record")
        except (ValueError, KeyError):
            meta["rss"] = f"FAILED: {rss}"
    elif not rss:
        meta["rss"] = "FAILED: not measured"
    rows = summarise(load(results))
    goals = targets(rows, meta)
    text = render_text(rows, meta, goals)
    sys.stdout.write(text)
    with open(f"{out_dir}/last.txt", "w", encoding="utf-8") as f:
        f.write(text)
    with open(f"{out_dir}/last.md", "w", encoding="utf-8") as f:
        f.write(render_md(rows, meta, goals))
    failed = [r for r in rows if "failed" in r]
    extra_failed = meta.get("extra_failed")
    if failed or extra_failed:
        print(f"FAILED: {len(failed)} scenario row(s)" + (f"; {extra_failed}" if extra_failed else ""))
        return 1
    return 0


COMMANDS = {"add": cmd_add, "fail": cmd_fail, "table": cmd_table}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]) or 0)
