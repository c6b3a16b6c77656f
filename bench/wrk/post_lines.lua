-- POST one JSON body per request, cycling through a file of bodies (one per line).
-- Environment: BODIES (file), TARGET_PATH (e.g. /v1/quotes), TOKEN, RATE_PER_CONNECTION_MS
-- (optional pacing: each connection waits this long between requests) and IDEMPOTENT=1 to
-- send a fresh Idempotency-Key with every request (sales).
local bodies = {}
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("BODIES")) do
    bodies[#bodies + 1] = line
  end
  thread_id = id or 0
  counter = thread_id * 100000
  math.randomseed(os.time() + thread_id)
end

function delay()
  local pace = tonumber(os.getenv("RATE_PER_CONNECTION_MS") or "0")
  return pace
end

function request()
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("TOKEN"),
  }
  if os.getenv("IDEMPOTENT") == "1" then
    headers["Idempotency-Key"] = string.format("bench-%d-%d-%d", thread_id, counter, math.random(1, 2^30))
  end
  return wrk.format("POST", os.getenv("TARGET_PATH"), headers, body)
end
