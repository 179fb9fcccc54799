-- Shared by every scenario: per-thread ids, the bearer token, and a JSON summary at the end.
local M = {}

function M.read_lines(path)
  local t = {}
  local f = assert(io.open(path, "r"))
  for line in f:lines() do
    if #line > 0 then t[#t + 1] = line end
  end
  f:close()
  return t
end

function M.read_file(path)
  local f = assert(io.open(path, "r"))
  local s = f:read("*a")
  f:close()
  return s
end

local threads = {}
function M.setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function M.thread_count()
  return #threads
end

function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "JSON:{\"requests\":%d,\"duration_us\":%d,\"bytes\":%d,\"errors\":{\"connect\":%d,\"read\":%d,\"write\":%d,\"status\":%d,\"timeout\":%d}," ..
    "\"latency_us\":{\"p50\":%d,\"p90\":%d,\"p99\":%d,\"max\":%d,\"mean\":%.1f}}\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end

return M
