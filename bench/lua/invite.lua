-- Scenario 8: staff invite a patient by SMS (the open draft reused; the invitation, its message
-- in the outbox and the audit event in one transaction).
package.path = "bench/lua/?.lua;" .. package.path
local c = require("common")
setup = c.setup
done = c.done
local bodies, token, i
init = function(args)
  bodies = c.read_lines(os.getenv("BENCH_DIR") .. "/invite_bodies.jsonl")
  token = c.read_file(os.getenv("BENCH_DIR") .. "/token.txt")
  i = (thread_id or 0) * 7919
end
request = function()
  i = i + 1
  return wrk.format("POST", "/api/v1/invitations",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, bodies[(i % #bodies) + 1])
end
