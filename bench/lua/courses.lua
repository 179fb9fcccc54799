-- Scenario 7: the course list with one filter each, at 20k courses / 100k check-ins.
package.path = "bench/lua/?.lua;" .. package.path
local c = require("common")
setup = c.setup
done = c.done
local queries = {
  "/api/v1/courses?status=active&limit=20",
  "/api/v1/courses?flag=bp_above_threshold_before_dose&limit=20",
  "/api/v1/courses?outcome=phq9:no_response&limit=20",
  "/api/v1/courses?checkins=overdue&limit=20",
  "/api/v1/courses?status=active&q=garcia&limit=20",
}
local token, i
init = function(args)
  token = c.read_file(os.getenv("BENCH_DIR") .. "/token.txt")
  i = (thread_id or 0) * 7919
end
request = function()
  i = i + 1
  return wrk.format("GET", queries[(i % #queries) + 1], { ["Authorization"] = "Bearer " .. token })
end
