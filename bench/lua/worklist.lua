-- Scenario 4: a worklist page with two filters, at 100k intakes.
package.path = "bench/lua/?.lua;" .. package.path
local c = require("common")
setup = c.setup
done = c.done
local queries = {
  "/api/v1/intakes?status=submitted&pain_type=crps&limit=20",
  "/api/v1/intakes?status=in_review&severity=urgent&limit=20",
  "/api/v1/intakes?status=submitted&q=garcia&limit=20",
  "/api/v1/intakes?pain_type=fibromyalgia&sort=-submitted_at&limit=20",
}
local token, i
init = function(args)
  token = c.read_file(os.getenv("BENCH_DIR") .. "/token.txt")
  -- Threads start far apart so they never work on the same record at the same moment.
  i = (thread_id or 0) * 7919
end
request = function()
  i = i + 1
  return wrk.format("GET", queries[(i % #queries) + 1], { ["Authorization"] = "Bearer " .. token })
end
