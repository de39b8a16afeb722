-- Takes up to a batch of jobs for a worker. With its chores (when asked: at most once a second
-- per worker) it first promotes due delayed jobs and puts back jobs whose lease ran out (their
-- worker died; no attempt is used); without, it promotes due jobs only when none is pending.
-- When it takes no job, it also tells when something in the queue next becomes due, so the
-- idle worker sleeps until then.
-- KEYS[1] pending list, KEYS[2] inflight zset, KEYS[3] delayed zset, KEYS[4] signal list,
-- KEYS[5] workers zset
-- ARGV[1] key prefix, ARGV[2] lease (ms from now), ARGV[3] batch, ARGV[4] worker,
-- ARGV[5] chore limit (0: no chores this time), ARGV[6] 1 to signal leases taken where there
-- were none (when idle workers look on their own too seldom to find them), ARGV[7] "1" for a
-- per-node queue, whose signal is a channel its host listens on (hub.rs)
-- Every time is Redis's own (TIME), never a worker's: a worker whose clock is ahead would take
-- every other worker's leases, one behind would lose its own.
-- Returns {recovered, first delayed (ms), first lease deadline (ms), now (ms), drained, id1,
-- payload1, attempts1, max1, id2, ...}; drained is 1 when fewer than a batch was taken (the
-- pending list is empty); the two times are nil when there is none, or when a full batch was
-- taken (that worker looks again anyway); now is Redis's, to measure them against.
local clock = redis.call("TIME")
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local prefix, deadline = ARGV[1], now + tonumber(ARGV[2])
local batch, worker, limit, tell = tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), ARGV[6] == "1"
local publish = ARGV[7] == "1"

-- Due retries and scheduled jobs join the pending list: with the chores, and whenever the list
-- is empty (an idle worker woken at a due time finds them at once; a busy queue's wait at most
-- a second more than they asked).
local function promote()
  local due = redis.call("ZRANGEBYSCORE", KEYS[3], "-inf", now, "LIMIT", 0, 1000)
  if #due > 0 then
    each_slice("ZREM", KEYS[3], due)
    each_slice("RPUSH", KEYS[1], due)
  end
  return #due
end
-- Expired leases, at most once a second per worker (limit 0 otherwise).
local expired = {}
if limit > 0 then
  promote()
  expired = redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", now, "LIMIT", 0, limit)
  if #expired > 0 then
    each_slice("ZREM", KEYS[2], expired)
    each_slice("LPUSH", KEYS[1], expired)
    -- No worker holds them now: a late acknowledgement of the dead run is ignored, and the job
    -- counts as waiting again (push.lua's idempotency keys).
    for _, id in ipairs(expired) do
      if redis.call("EXISTS", prefix .. ":j:" .. id) == 1 then
        redis.call("HSET", prefix .. ":j:" .. id, "w", "")
      end
    end
  end
  redis.call("ZADD", KEYS[5], now, worker)
end
local out = {#expired, false, false, now, 0}
local ids = redis.call("LPOP", KEYS[1], batch)
if not ids and limit == 0 and promote() > 0 then
  ids = redis.call("LPOP", KEYS[1], batch)
end
local leases = {}
for _, id in ipairs(ids or {}) do
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
-- The pending list drained (fewer than a batch taken): the worker looks again only when woken
-- or when something comes due, so it is told when that is, as an empty look would have said.
local function drained()
  out[2] = redis.call("ZRANGE", KEYS[3], 0, 0, "WITHSCORES")[2] or false
  out[3] = redis.call("ZRANGE", KEYS[2], 0, 0, "WITHSCORES")[2] or false
  out[5] = 1
  return out
end
if #leases == 0 then
  return drained()
end
-- Leases taken where there were none: another idle worker should learn of them (it recovers
-- them if this worker dies).
local first = tell and redis.call("ZCARD", KEYS[2]) == 0
each_slice("ZADD", KEYS[2], leases)
-- More is waiting: wake another idle worker.
if first or (#ids == batch and redis.call("LLEN", KEYS[1]) > 0) then
  signal(KEYS[4], publish)
end
if #ids < batch then
  return drained()
end
return out
