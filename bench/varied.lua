-- varied.lua: a wrk script of varied cache-off requests on the generated record, for what
-- one repeated URL cannot show: each worker's database connection filling its page cache
-- and search state (memory under load, and the cost of warming them). Run it against a
-- server started with --cache-size 0 on bench/out/data/record-1000000-*.db, then read the
-- server's VmHWM in /proc/PID/status (bench/README.md, "Memory under varied load").
-- Ids stay within that record (5,060 organizations, 1,252 sessions, 50,030 people, 68
-- assemblies): every answer is a 200.
local words = {"cooperation", "victims", "court", "state", "budget", "justice", "reparations",
               "trust", "fund", "review", "complementarity", "election", "prosecutor",
               "registry", "article", "assembly", "report", "women", "children", "africa"}
local kinds = {"state", "ngo", "court", "intergovernmental", "coalition", "court_organ", "other"}
local n = 0

function request()
    n = n + 1
    local k, path = n % 6
    if k == 0 then
        path = "/v1/search?q=" .. words[(n % #words) + 1]
    elseif k == 1 then
        path = "/v1/interventions?limit=50&organization=" .. ((n * 7) % 3000 + 1)
    elseif k == 2 then
        path = "/v1/interventions?limit=50&session=" .. ((n * 13) % 1200 + 1)
    elseif k == 3 then
        path = "/v1/people?limit=50&sort=-name&organization=" .. ((n * 11) % 3000 + 1)
    elseif k == 4 then
        path = "/v1/interventions?organization_kind=" .. kinds[(n % #kinds) + 1] ..
               "&speaker=" .. ((n * 17) % 50000 + 1)
    else
        path = "/v1/documents?limit=50&assembly=" .. ((n % 20) + 1)
    end
    return wrk.format("GET", path)
end
