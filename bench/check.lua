-- check.lua: the wrk script of bench/run.sh. It checks every answer wrk counts: the status
-- (tallied by value), a Content-Length on every answer that has a body, and no
-- `Connection: close`. At the end it prints one line, "BENCH {json}", with wrk's summary,
-- latency percentiles (microseconds) and the tallies; bench/report.py reads that line and
-- judges it against the status the scenario expects. Request headers come from wrk's -H.

local threads = {}

-- Runs in the main Lua state once per wrk thread: keep a handle to read its tallies in done().
function setup(thread)
    threads[#threads + 1] = thread
end

-- Runs in each thread's own Lua state: the tallies are that thread's globals.
function init(args)
    statuses = {}       -- status code -> answers
    missing_length = 0  -- answers with a body but no Content-Length
    closes = 0          -- answers carrying Connection: close
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
    if status ~= 304 and status ~= 204 then
        if headers["Content-Length"] == nil and headers["content-length"] == nil then
            missing_length = missing_length + 1
        end
    end
    local connection = headers["Connection"] or headers["connection"]
    if connection ~= nil and string.lower(connection) == "close" then
        closes = closes + 1
    end
end

function done(summary, latency, requests)
    local counts = {}
    local missing, closed = 0, 0
    for _, thread in ipairs(threads) do
        for status, n in pairs(thread:get("statuses") or {}) do
            counts[status] = (counts[status] or 0) + n
        end
        missing = missing + (thread:get("missing_length") or 0)
        closed = closed + (thread:get("closes") or 0)
    end
    local parts = {}
    for status, n in pairs(counts) do
        parts[#parts + 1] = string.format('"%d":%d', status, n)
    end
    local e = summary.errors
    io.write(string.format(
        'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,' ..
        '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
        '"connect":%d,"read":%d,"write":%d,"timeout":%d,"status_errors":%d,' ..
        '"missing_length":%d,"closes":%d,"statuses":{%s}}\n',
        summary.requests, summary.duration, summary.bytes,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
        e.connect, e.read, e.write, e.timeout, e.status,
        missing, closed, table.concat(parts, ",")))
end
