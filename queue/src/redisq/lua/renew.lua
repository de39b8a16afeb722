-- Renews a worker's leases: each job still leased to this worker gets the new deadline. A
-- lease the worker lost meanwhile (put back, perhaps taken by another) is left untouched and
-- reported. The worker is marked alive.
-- KEYS[1] inflight zset, KEYS[2] workers zset
-- ARGV[1] key prefix, ARGV[2] worker, ARGV[3] lease (ms from now, on Redis's clock), ARGV[4..] ids
-- Returns the ids whose lease was lost.
local clock = redis.call("TIME")
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local prefix, worker, deadline = ARGV[1], ARGV[2], now + tonumber(ARGV[3])
local lost = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  if redis.call("HGET", prefix .. ":j:" .. id, "w") == worker then
    redis.call("ZADD", KEYS[1], "XX", deadline, id)
  else
    lost[#lost + 1] = id
  end
end
redis.call("ZADD", KEYS[2], now, worker)
return lost
