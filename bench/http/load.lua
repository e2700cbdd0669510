-- wrk script for bench/http/run.sh. One script, three modes (env BENCH_MODE):
--   create  POST /api/v1/cases with a JSON case at a random valid point of the district and a
--           unique Idempotency-Key per request (BENCH_TOKEN: a bearer token; BENCH_POINTS: a
--           file of "lon lat" lines inside the district)
--   get     GET /api/v1/cases/{number}, round-robin over BENCH_CASES (a file of case numbers)
--   static  GET of the URL's path as it is (the nginx peer)
-- BENCH_RATE > 0 paces the requests of this wrk thread to that many per second (see delay());
-- run.sh gives each thread its share of the rate.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } cg_timespec;
  int clock_gettime(int clk_id, cg_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("cg_timespec")
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local mode = os.getenv("BENCH_MODE") or "static"
local token = os.getenv("BENCH_TOKEN") or ""
local rate = tonumber(os.getenv("BENCH_RATE") or "0") or 0
local run_id = os.getenv("BENCH_RUN_ID") or tostring(os.time())

local function read_lines(path)
  local out = {}
  if not path then return out end
  local f = assert(io.open(path, "r"), "cannot open " .. path)
  for line in f:lines() do
    if #line > 0 then out[#out + 1] = line end
  end
  f:close()
  return out
end

local points = {}
for _, line in ipairs(read_lines(os.getenv("BENCH_POINTS"))) do
  local lon, lat = line:match("^(%S+)%s+(%S+)$")
  points[#points + 1] = { lon, lat }
end
local cases = read_lines(os.getenv("BENCH_CASES"))
-- Event categories (事件) that intake accepts from an inspector.
local categories = { "06010", "07001", "08004", "09009" }

-- setup() runs in wrk's main Lua state and numbers the threads there; thread:set() gives each
-- thread's own Lua state its number as the *global* thread_id (a top-level local of that name
-- would shadow it and leave every thread 0: same random seed, same Idempotency-Keys, so half
-- of the creates of wrk -t2 were replays of the other thread's).
local threads_set_up = 0
thread_id = 0
local counter = 0
local next_slot = nil
local interval = rate > 0 and 1000 / rate or 0

function setup(thread)
  threads_set_up = threads_set_up + 1
  thread:set("thread_id", threads_set_up)
end

function init(args)
  math.randomseed(thread_id * 7919 + os.time())
end

if mode == "create" then
  function request()
    counter = counter + 1
    local p = points[math.random(#points)]
    local body = '{"channel":"inspector","category":"' .. categories[math.random(#categories)] ..
        '","description":"bench case ' .. counter .. ' 路面垃圾","lon":' .. p[1] .. ',"lat":' ..
        p[2] .. ',"address":"bench"}'
    return wrk.format("POST", "/api/v1/cases", {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. token,
      ["Idempotency-Key"] = "bench-" .. run_id .. "-" .. thread_id .. "-" .. counter,
    }, body)
  end
elseif mode == "get" then
  function request()
    counter = counter + 1
    return wrk.format("GET", "/api/v1/cases/" .. cases[(counter % #cases) + 1],
                      { ["Authorization"] = "Bearer " .. token })
  end
end
-- static: no request() function, so wrk sends its one prepared request (no Lua per request).

-- Pacing: every request reserves the next free slot of a fixed schedule (one slot per
-- 1000/rate ms) and waits for it, so the offered rate stays at BENCH_RATE even when some
-- responses are slow, as long as a connection is free (64 connections at 2,000 req/s leave
-- 32 ms per request). wrk measures latency from the moment a request is written.
if rate > 0 then
  function delay()
    local now = now_ms()
    if next_slot == nil or next_slot < now then next_slot = now end
    local wait = next_slot - now
    next_slot = next_slot + interval
    return math.floor(wait)
  end
end
