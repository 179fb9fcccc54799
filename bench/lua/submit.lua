-- Scenario 3c: submit complete drafts (completeness, scoring, flags, snapshot, one transaction).
-- Each thread walks its own slice of the drafts, so no draft is submitted twice.
package.path = "bench/lua/?.lua;" .. package.path
local c = require("common")
setup = c.setup
done = c.done
local ids, token, n, me, threads
init = function(args)
  ids = c.read_lines(os.getenv("BENCH_DIR") .. "/submit_ids.txt")
  token = c.read_file(os.getenv("BENCH_DIR") .. "/token.txt")
  threads = tonumber(os.getenv("BENCH_THREADS") or "2")
  me = thread_id or 0
  n = 0
end
request = function()
  local k = me + n * threads + 1
  n = n + 1
  if k > #ids then k = ((k - 1) % #ids) + 1 end
  return wrk.format("POST", "/api/v1/intakes/" .. ids[k] .. "/submit", { ["Authorization"] = "Bearer " .. token })
end
