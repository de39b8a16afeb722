-- Settles finished runs. O(1) per job; a run whose lease this worker no longer holds (it was
-- put back and taken by another) is ignored. Signals idle workers when a job goes back to the
-- queue, or a retry is scheduled (a sleeping worker then learns when it comes due).
-- KEYS[1] pending list, KEYS[2] inflight zset, KEYS[3] delayed zset, KEYS[4] done zset,
-- KEYS[5] dead zset, KEYS[6] signal list
-- ARGV[1] key prefix, ARGV[2] worker, ARGV[3] retention (ms),
-- ARGV[4] retention count (finished jobs kept at most, done and dead each), ARGV[5] "1" for a
-- per-node queue, whose signal is a channel its host listens on (hub.rs), ARGV[6] "1" to apply
-- the age limit of the retention this time (a worker does at most once a second: `persist.rs`)
-- ARGV[7..] groups of 5: id, outcome (done|retry|dead|back), attempts, retry delay (ms), error
-- Times are Redis's own (TIME): a retry comes due on the same clock whichever worker failed it.
-- Returns the number settled.
local clock = redis.call("TIME")
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local prefix, worker, retention, keep = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local settled, back, retries, done, dead = 0, {}, 0, 0, 0
for i = 7, #ARGV, 5 do
  local id, outcome, attempts, delay, err = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4]
  local key = prefix .. ":j:" .. id
  if redis.call("HGET", key, "w") == worker and redis.call("ZREM", KEYS[2], id) == 1 then
    if outcome == "done" then
      redis.call("HSET", key, "s", "done", "f", now, "w", "")
      redis.call("PEXPIRE", key, retention)
      redis.call("ZADD", KEYS[4], now, id)
      done = done + 1
    elseif outcome == "retry" then
      redis.call("HSET", key, "s", "retry", "a", attempts, "r", err, "w", "")
      redis.call("ZADD", KEYS[3], now + delay, id)
      retries = retries + 1
    elseif outcome == "dead" then
      redis.call("HSET", key, "s", "dead", "a", attempts, "r", err, "f", now, "w", "")
      redis.call("PEXPIRE", key, retention)
      redis.call("ZADD", KEYS[5], now, id)
      dead = dead + 1
    else
      redis.call("HSET", key, "w", "")
      back[#back + 1] = id
    end
    settled = settled + 1
  end
end
if #back > 0 then
  each_slice("LPUSH", KEYS[1], back)
end
if #back > 0 or retries > 0 then
  signal(KEYS[6], ARGV[5] == "1")
end
-- Retention: forget finished jobs whose hashes have expired (when asked: at most once a second
-- per worker), and the oldest beyond the count with their hashes, in the sets this call added
-- to (at most a slice per call: amortized O(1) per job).
if ARGV[6] == "1" then
  redis.call("ZREMRANGEBYSCORE", KEYS[4], "-inf", now - retention)
  redis.call("ZREMRANGEBYSCORE", KEYS[5], "-inf", now - retention)
end
for set, added in pairs({[KEYS[4]] = done > 0, [KEYS[5]] = dead > 0}) do
  local over = added and redis.call("ZCARD", set) - keep or 0
  if over > 0 then
    local old = redis.call("ZRANGE", set, 0, math.min(over, 1000) - 1)
    for _, id in ipairs(old) do
      redis.call("DEL", prefix .. ":j:" .. id)
    end
    each_slice("ZREM", set, old)
  end
end
return settled
