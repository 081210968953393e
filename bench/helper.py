#!/usr/bin/env python3
"""helper.py: the small tools bench/run.sh needs that would be clumsy in bash.

  ports N                      N distinct free TCP ports on 127.0.0.1, one a line
  wait URL [SECONDS]           poll URL until it answers 200 (exit 1 on timeout)
  check URL STATUS [--gzip] [-H 'Name: value']...
                               one GET: the status, Content-Length on a body, no
                               Connection: close, Content-Encoding: gzip if --gzip;
                               prints the ETag (or nothing); exit 1 with the reason
  check-all                    the same for each line "INDEX URL STATUS GZIP HEADERS" (tabs;
                               headers joined by \x1f) on stdin; prints "INDEX ok|REASON SECONDS"
  same-ids URL_A URL_B ...     each pair of pages (plenary's {"data": [...]} or a bare
                               array) holds the same ids in the same order
  jsondb NDJSON OUT FIELD      json-server's db.json: {"interventions": [...]}, each object
                               as plenary serves it plus FIELD flattened (organization.kind)
  walk BASE PATH STEPS         follow links.next up to STEPS times; prints "DEPTH PATH"
  first-answer URL -- CMD...   start CMD, poll URL without pause, print ms to the first 200
  rss HOST PORT PID N PATH     open N keep-alive connections, one GET on each, hold them;
                               print {"connections": held, "answered":..., "unanswered":
                               (not taken by the server within 10 s), "vm_hwm_kb":...}

Only the standard library: it runs wherever meson does.
"""
import http.client
import json
import selectors
import socket
import subprocess
import sys
import time
import urllib.parse


def split_url(url):
    u = urllib.parse.urlsplit(url)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    return u.hostname, u.port or 80, path


def get(url, headers=None, timeout=30):
    host, port, path = split_url(url)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        res = conn.getresponse()
        return res.status, res.getheaders(), res.read()
    finally:
        conn.close()


def cmd_ports(args):
    socks = []
    for _ in range(int(args[0])):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    for s in socks:
        print(s.getsockname()[1])
        s.close()


def cmd_wait(args):
    url = args[0]
    deadline = time.monotonic() + (float(args[1]) if len(args) > 1 else 60)
    while time.monotonic() < deadline:
        try:
            status, _, _ = get(url, timeout=5)
            if status == 200:
                return 0
        except OSError:
            pass
        time.sleep(0.05)
    print(f"{url} did not answer 200 in time", file=sys.stderr)
    return 1


def check_one(url, want, gzip, headers):
    """One GET judged as wrk's answers are; returns (None, etag) or (reason, None)."""
    try:
        status, hdrs, _ = get(url, headers)
    except OSError as e:
        return f"no answer: {e}", None
    h = {k.lower(): v for k, v in hdrs}
    problems = []
    if status != want:
        problems.append(f"status {status}, expected {want}")
    if status not in (204, 304) and "content-length" not in h:
        problems.append("no Content-Length")
    if h.get("connection", "").lower() == "close":
        problems.append("Connection: close")
    if gzip and h.get("content-encoding", "").lower() != "gzip":
        problems.append("no Content-Encoding: gzip")
    if problems:
        return "; ".join(problems), None
    return None, h.get("etag", "")


def parse_headers(items):
    headers = {}
    for item in items:
        if item:
            name, _, value = item.partition(":")
            headers[name.strip()] = value.strip()
    return headers


def cmd_check(args):
    url, want = args[0], int(args[1])
    gzip = "--gzip" in args[2:]
    rest = [a for a in args[2:] if a != "--gzip"]
    headers = parse_headers(rest[i + 1] for i in range(0, len(rest) - 1, 2) if rest[i] == "-H")
    reason, etag = check_one(url, want, gzip, headers)
    if reason:
        print(reason, file=sys.stderr)
        return 1
    print(etag)
    return 0


def cmd_check_all(args):
    """Reads lines "INDEX<TAB>URL<TAB>STATUS<TAB>GZIP<TAB>HEADER<US>HEADER..." on stdin;
    prints "INDEX<TAB>ok|REASON<TAB>SECONDS" for each."""
    for line in sys.stdin:
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 4:
            continue
        index, url, want, gzip = parts[0], parts[1], int(parts[2]), parts[3] == "1"
        headers = parse_headers(parts[4].split("\x1f") if len(parts) > 4 else [])
        start = time.monotonic()
        reason, _ = check_one(url, want, gzip, headers)
        print(f"{index}\t{reason or 'ok'}\t{time.monotonic() - start:.3f}")
    return 0


def page_ids(body):
    doc = json.loads(body)
    items = doc["data"] if isinstance(doc, dict) else doc
    return [item.get("id") for item in items]


def cmd_same_ids(args):
    """Pairs of URLs: each pair must hold the same ids in the same order."""
    bad = 0
    for a, b in zip(args[0::2], args[1::2]):
        ids = []
        for url in (a, b):
            status, _, body = get(url)
            if status != 200:
                print(f"{url}: status {status}", file=sys.stderr)
                return 1
            ids.append(page_ids(body))
        if ids[0] != ids[1]:
            print(f"{b} holds ids {ids[1][:8]}..., {a} holds {ids[0][:8]}...", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


def cmd_jsondb(args):
    src, out, field = args
    first, _, second = field.partition("_")  # organization_kind -> organization.kind
    rows = []
    with open(src, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                obj = json.loads(line)
                ref = obj.get(first)
                obj[field] = ref.get(second) if isinstance(ref, dict) else None
                rows.append(obj)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"interventions": rows}, f, ensure_ascii=False, separators=(",", ":"))
    print(len(rows))
    return 0


def cmd_walk(args):
    base, path, steps = args[0], args[1], int(args[2])
    host, port, _ = split_url(base)
    conn = http.client.HTTPConnection(host, port, timeout=60)
    depth = 0
    while depth < steps:
        conn.request("GET", path)
        res = conn.getresponse()
        body = res.read()
        if res.status != 200:
            print(f"walk: {path}: status {res.status}", file=sys.stderr)
            return 1
        nxt = json.loads(body).get("links", {}).get("next")
        if not nxt:
            break
        if nxt.startswith("http"):
            _, _, nxt = split_url(nxt)
        path = nxt
        depth += 1
    conn.close()
    print(depth, path)
    return 0


def cmd_first_answer(args):
    url = args[0]
    cmd = args[args.index("--") + 1:]
    host, port, path = split_url(url)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = None
    try:
        while time.monotonic() - start < 30 and proc.poll() is None:
            conn = http.client.HTTPConnection(host, port, timeout=5)
            try:
                conn.request("GET", path)
                if conn.getresponse().status == 200:
                    elapsed = (time.monotonic() - start) * 1000
                    break
            except OSError:
                pass
            finally:
                conn.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if elapsed is None:
        print("first-answer: no 200 within 30 s", file=sys.stderr)
        return 1
    print(f"{elapsed:.1f}")
    return 0


def response_complete(data):
    """Returns the status once data holds one whole response with a Content-Length, else None."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    return int(lines[0].split()[1]) if len(body) >= length else None


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return fields


def cmd_rss(args):
    host, port, pid, n, path = args[0], int(args[1]), args[2], int(args[3]), args[4]
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    # Spread the clients over four loopback source addresses, as many clients would be, so
    # that a per-address connection limit does not decide the count.
    sources = [f"127.0.0.{k}" for k in range(2, 6)] if host == "127.0.0.1" else [None]
    sel = selectors.DefaultSelector()
    socks, refused = [], 0
    for i in range(n):
        try:
            src = sources[i % len(sources)]
            s = socket.create_connection((host, port), timeout=10,
                                         source_address=(src, 0) if src else None)
            s.sendall(request)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, bytearray())
            socks.append(s)
        except OSError:
            refused += 1
    # Read every answer at once, for at most 10 s: a connection the server has not taken
    # (still in the listen queue) gets no answer and does not count as held.
    answered, closed = set(), set()
    deadline = time.monotonic() + 10
    while len(answered) + len(closed) < len(socks) and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            s, buf = key.fileobj, key.data
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                closed.add(s)
                sel.unregister(s)
                continue
            buf += chunk
            status = response_complete(bytes(buf))
            if status is not None:
                sel.unregister(s)
                (answered if status == 200 else closed).add(s)
    time.sleep(0.5)
    try:
        st = proc_status(pid)
    except OSError as e:
        st = {"error": str(e)}
    # Held: answered, and still open now (a peek sees neither data nor the end of stream).
    held = 0
    for s in answered:
        try:
            if s.recv(1, socket.MSG_PEEK) == b"":
                continue
        except BlockingIOError:
            held += 1
        except OSError:
            pass
    for s in socks:
        s.close()
    result = {"connections": held, "asked": n, "answered": len(answered),
              "refused": refused + len(closed), "unanswered": len(socks) - len(answered) - len(closed)}
    if "error" in st:
        result["error"] = st["error"]
    else:
        result.update({"vm_hwm_kb": int(st["VmHWM"].split()[0]),
                       "vm_rss_kb": int(st["VmRSS"].split()[0]), "threads": int(st["Threads"])})
    print(json.dumps(result))
    return 0 if held and "error" not in result else 1


COMMANDS = {
    "ports": cmd_ports,
    "wait": cmd_wait,
    "check": cmd_check,
    "check-all": cmd_check_all,
    "same-ids": cmd_same_ids,
    "jsondb": cmd_jsondb,
    "walk": cmd_walk,
    "first-answer": cmd_first_answer,
    "rss": cmd_rss,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]) or 0)
