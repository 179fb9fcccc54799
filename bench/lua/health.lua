-- Scenario 1: the framework's own limit.
package.path = "bench/lua/?.lua;" .. package.path
local c = require("common")
setup = c.setup
done = c.done
request = function() return wrk.format("GET", "/health") end
