-- Takes up to a batch of jobs for a worker, after two bounded chores: promoting due delayed
-- jobs, and (when asked) putting back jobs whose lease ran out (their worker died; no attempt
-- is used).
-- KEYS[1] pending list, KEYS[2] inflight zset, KEYS[3] delayed zset, KEYS[4] signal list,
-- KEYS[5] workers zset
-- ARGV[1] key prefix, ARGV[2] now (ms), ARGV[3] lease deadline (ms), ARGV[4] batch,
-- ARGV[5] worker, ARGV[6] chore limit (0: no chores this time)
-- Returns {recovered, id1, payload1, attempts1, max1, id2, ...}
local prefix, now, deadline = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local batch, worker, limit = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])

-- Due retries and scheduled jobs, every time: their delay is what the job asked for.
local due = redis.call("ZRANGEBYSCORE", KEYS[3], "-inf", now, "LIMIT", 0, 1000)
if #due > 0 then
  redis.call("ZREM", KEYS[3], unpack(due))
  redis.call("RPUSH", KEYS[1], unpack(due))
end
-- Expired leases, at most once a second per worker (limit 0 otherwise).
local expired = {}
if limit > 0 then
  expired = redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", now, "LIMIT", 0, limit)
  if #expired > 0 then
    redis.call("ZREM", KEYS[2], unpack(expired))
    redis.call("LPUSH", KEYS[1], unpack(expired))
  end
  redis.call("ZADD", KEYS[5], now, worker)
end
local out = {#expired}
local ids = redis.call("LPOP", KEYS[1], batch)
if not ids then return out end
local leases = {}
for _, id in ipairs(ids) do
  local key = prefix .. ":j:" .. id
  local job = redis.call("HMGET", key, "d", "a", "m")
  if job[1] then
    redis.call("HSET", key, "w", worker)
    leases[#leases + 1] = deadline
    leases[#leases + 1] = id
    out[#out + 1] = id
    out[#out + 1] = job[1]
    out[#out + 1] = job[2]
    out[#out + 1] = job[3]
  end
end
if #leases > 0 then redis.call("ZADD", KEYS[2], unpack(leases)) end
-- More is waiting: wake another idle worker.
if #ids == batch and redis.call("LLEN", KEYS[1]) > 0 then
  redis.call("LPUSH", KEYS[4], 1)
  redis.call("LTRIM", KEYS[4], 0, 0)
end
return out
