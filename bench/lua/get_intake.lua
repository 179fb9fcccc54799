-- Scenario 2: read one intake as a clinician (token check, read, audit write before disclosure).
package.path = "bench/lua/?.lua;" .. package.path
local c = require("common")
setup = c.setup
done = c.done
local ids, token, i
init = function(args)
  ids = c.read_lines(os.getenv("BENCH_DIR") .. "/submitted_ids.txt")
  token = c.read_file(os.getenv("BENCH_DIR") .. "/token.txt")
  -- Threads start far apart so they never work on the same record at the same moment.
  i = (thread_id or 0) * 7919
end
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/intakes/" .. ids[(i % #ids) + 1], { ["Authorization"] = "Bearer " .. token })
end
