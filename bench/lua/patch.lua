-- Scenario 3b: replace every section of a draft (If-Match: * takes the current version).
package.path = "bench/lua/?.lua;" .. package.path
local c = require("common")
setup = c.setup
done = c.done
local ids, body, token, i
init = function(args)
  ids = c.read_lines(os.getenv("BENCH_DIR") .. "/patch_ids.txt")
  body = c.read_file(os.getenv("BENCH_DIR") .. "/patch_body.json")
  token = c.read_file(os.getenv("BENCH_DIR") .. "/token.txt")
  -- Threads start far apart so they never work on the same record at the same moment.
  i = (thread_id or 0) * 7919
end
request = function()
  i = i + 1
  return wrk.format("PATCH", "/api/v1/intakes/" .. ids[(i % #ids) + 1],
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json", ["If-Match"] = "*" }, body)
end
