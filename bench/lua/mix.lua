-- Scenario 5: 80% reads (intake by id, worklist pages), 20% writes (replace every section).
package.path = "bench/lua/?.lua;" .. package.path
local c = require("common")
setup = c.setup
done = c.done
local ids, drafts, body, token, i
init = function(args)
  ids = c.read_lines(os.getenv("BENCH_DIR") .. "/submitted_ids.txt")
  drafts = c.read_lines(os.getenv("BENCH_DIR") .. "/patch_ids.txt")
  body = c.read_file(os.getenv("BENCH_DIR") .. "/patch_body.json")
  token = c.read_file(os.getenv("BENCH_DIR") .. "/token.txt")
  -- Threads start far apart so they never work on the same record at the same moment.
  i = (thread_id or 0) * 7919
end
request = function()
  i = i + 1
  local auth = "Bearer " .. token
  local r = i % 10
  if r < 6 then
    return wrk.format("GET", "/api/v1/intakes/" .. ids[(i % #ids) + 1], { ["Authorization"] = auth })
  elseif r < 8 then
    return wrk.format("GET", "/api/v1/intakes?status=submitted&pain_type=crps&limit=20", { ["Authorization"] = auth })
  else
    return wrk.format("PATCH", "/api/v1/intakes/" .. drafts[(i % #drafts) + 1],
      { ["Authorization"] = auth, ["Content-Type"] = "application/json", ["If-Match"] = "*" }, body)
  end
end
