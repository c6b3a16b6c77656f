-- POST one JSON body per request from a file of bodies, one per line.
--
-- Each of wrk's threads takes its own share of the lines (thread k of n: lines k+1, k+1+n,
-- …), so no two threads send the same body: a file of sale bodies, each for a fresh
-- holder, is sold once each as long as the run does not use it up (then a thread starts
-- its share again, and those sales are refused: bench/floor/run.py sizes the files).
--
-- Environment: BODIES (the file), TARGET_PATH (/v1/quotes or /v1/sales), TOKEN (bearer),
-- THREADS (wrk's -t), IDEMPOTENT=1 (a fresh Idempotency-Key per request, unique within
-- the runner's client: RUN numbers the run).
local threads = {}
local bodies = {}
local index = 0
local counter = 0
local key_prefix = ""
local headers = {}
local path = "/"
local idempotent = false

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local share = id or 0
  local count = tonumber(os.getenv("THREADS") or "1")
  local line_number = 0
  for line in io.lines(os.getenv("BODIES")) do
    if line_number % count == share then
      bodies[#bodies + 1] = line
    end
    line_number = line_number + 1
  end
  if #bodies == 0 then
    error("no bodies for thread " .. share .. " in " .. os.getenv("BODIES"))
  end
  key_prefix = string.format("floor-%s-%d-", os.getenv("RUN") or "0", share)
  path = os.getenv("TARGET_PATH")
  idempotent = os.getenv("IDEMPOTENT") == "1"
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
end

function request()
  index = index % #bodies + 1
  counter = counter + 1
  if idempotent then
    headers["Idempotency-Key"] = key_prefix .. counter
  end
  return wrk.format("POST", path, headers, bodies[index])
end
