-- Pushes jobs. O(1) per job. Signals idle workers when a job is ready, and when one is delayed
-- (a sleeping worker then learns when it comes due).
-- KEYS[1] pending list, KEYS[2] delayed zset, KEYS[3] signal list (the queue's registry entry
-- is written by the caller: `persist.rs`)
-- ARGV[1] key prefix ("{queue}"), ARGV[2] queue name, ARGV[3] idempotency ttl (ms),
-- ARGV[4] "1" for a per-node queue, whose signal is a channel its host listens on (hub.rs)
-- ARGV[5..] groups of 5: id, payload, max_attempts, delay (ms from now; 0: due now),
-- idempotency key ("" for none)
-- Times are Redis's own (TIME), as in every script.
-- Returns the number of jobs pushed. A job whose idempotency key is held by a job that still
-- waits (due, delayed, or between attempts: no worker holds it, not finished) is skipped; a key
-- held by a running or finished job (or one Redis forgot) passes to the new job.
local clock = redis.call("TIME")
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local prefix, ttl = ARGV[1], tonumber(ARGV[3])
local pushed, due, delayed = 0, {}, 0
for i = 5, #ARGV, 5 do
  local id, payload, max, delay, key = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4]
  local fresh = true
  if key ~= "" then
    -- Most keys are free: taken in one command; a held one is looked at.
    local idem = prefix .. ":idem:" .. key
    if not redis.call("SET", idem, id, "NX", "PX", ttl) then
      local holder = redis.call("GET", idem)
      local h = redis.call("HMGET", prefix .. ":j:" .. holder, "d", "s", "w")
      fresh = not (h[1] and h[2] ~= "done" and h[2] ~= "dead" and (not h[3] or h[3] == ""))
      if fresh then
        redis.call("SET", idem, id, "PX", ttl)
      end
    end
  end
  if fresh then
    local fields = {"d", payload, "a", 0, "m", max, "t", now}
    if key ~= "" then table.insert(fields, "k"); table.insert(fields, key) end
    redis.call("HSET", prefix .. ":j:" .. id, unpack(fields))
    if delay > 0 then
      redis.call("ZADD", KEYS[2], now + delay, id)
      delayed = delayed + 1
    else
      due[#due + 1] = id
    end
    pushed = pushed + 1
  end
end
if #due > 0 then
  each_slice("RPUSH", KEYS[1], due)
end
if #due > 0 or delayed > 0 then
  signal(KEYS[3], ARGV[4] == "1")
end
return pushed
