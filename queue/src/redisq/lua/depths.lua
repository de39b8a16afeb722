-- Counts one page of the queue registry's queues, summed by base name (`download` for every
-- host's `<prefix>:download:<host>`): what /metrics and the dashboard's overview show, at a
-- bounded number of commands whatever the number of push hosts (a page a call).
-- No KEYS: the queues' keys are named from the registry's members (one Redis; a cluster
-- would need them declared).
-- ARGV[1] registry set, ARGV[2] SSCAN cursor ("0" to start), ARGV[3] page size,
-- ARGV[4] what precedes a base name ("<prefix>:"), ARGV[5] retention (ms)
-- Finished jobs count while kept (the sets are trimmed only when their queue next settles a
-- job), by Redis's own clock.
-- Returns {next cursor ("0": done), base1, pending, running, delayed, done, dead, base2, ...},
-- every one a string.
local clock = redis.call("TIME")
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local since = now - tonumber(ARGV[5])
local lead = ARGV[4]
local page = redis.call("SSCAN", ARGV[1], ARGV[2], "COUNT", tonumber(ARGV[3]))
local sums, order = {}, {}
for _, name in ipairs(page[2]) do
  local rest = name
  if string.sub(name, 1, #lead) == lead then
    rest = string.sub(name, #lead + 1)
  end
  local base = string.match(rest, "^[^:]*")
  local sum = sums[base]
  if not sum then
    sum = {0, 0, 0, 0, 0}
    sums[base] = sum
    order[#order + 1] = base
  end
  local q = "{" .. name .. "}:"
  sum[1] = sum[1] + redis.call("LLEN", q .. "pending")
  sum[2] = sum[2] + redis.call("ZCARD", q .. "inflight")
  sum[3] = sum[3] + redis.call("ZCARD", q .. "delayed")
  sum[4] = sum[4] + redis.call("ZCOUNT", q .. "done", since, "+inf")
  sum[5] = sum[5] + redis.call("ZCOUNT", q .. "dead", since, "+inf")
end
local out = {page[1]}
for _, base in ipairs(order) do
  local sum = sums[base]
  out[#out + 1] = base
  for i = 1, 5 do
    out[#out + 1] = tostring(sum[i])
  end
end
return out
