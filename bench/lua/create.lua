-- Scenario 3a: start an intake with every section filled in (validation, pre-fill, one write).
package.path = "bench/lua/?.lua;" .. package.path
local c = require("common")
setup = c.setup
done = c.done
local bodies, token, i
init = function(args)
  bodies = c.read_lines(os.getenv("BENCH_DIR") .. "/create_bodies.jsonl")
  token = c.read_file(os.getenv("BENCH_DIR") .. "/token.txt")
  -- Threads start far apart so they never work on the same record at the same moment.
  i = (thread_id or 0) * 7919
end
request = function()
  i = i + 1
  return wrk.format("POST", "/api/v1/intakes",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, bodies[(i % #bodies) + 1])
end
