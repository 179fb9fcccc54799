-- Scenario 6: answer open pre-session check-ins (staff on the patient's behalf): four
-- instruments scored, flags, the course's flags and outcomes recomputed, one transaction.
-- Each thread walks its own slice of the check-ins, so none is answered twice.
package.path = "bench/lua/?.lua;" .. package.path
local c = require("common")
setup = c.setup
done = c.done
local ids, token, body, n, me, threads
init = function(args)
  ids = c.read_lines(os.getenv("BENCH_DIR") .. "/checkin_ids.txt")
  token = c.read_file(os.getenv("BENCH_DIR") .. "/token.txt")
  body = c.read_file(os.getenv("BENCH_DIR") .. "/checkin_body.json")
  threads = tonumber(os.getenv("BENCH_THREADS") or "2")
  me = thread_id or 0
  n = 0
end
request = function()
  local k = me + n * threads + 1
  n = n + 1
  if k > #ids then k = ((k - 1) % #ids) + 1 end
  return wrk.format("POST", "/api/v1/checkins/" .. ids[k] .. "/submit",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
