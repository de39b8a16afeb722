-- Pushes jobs. O(1) per job. Signals idle workers when a job is ready, and when one is delayed
-- (a sleeping worker then learns when it comes due).
-- KEYS[1] pending list, KEYS[2] delayed zset, KEYS[3] signal list, KEYS[4] registry set
-- ARGV[1] key prefix ("{queue}"), ARGV[2] queue name, ARGV[3] now (ms), ARGV[4] idempotency ttl (ms)
-- ARGV[5..] groups of 5: id, payload, max_attempts, run_at (ms), idempotency key ("" for none)
-- Returns the number of jobs pushed (a job whose idempotency key is taken is skipped).
-- `unpack` fails above ~8k values: a command over a list goes a slice at a time (an even
-- slice, so score/member pairs stay whole).
local function each_slice(cmd, key, list)
  for i = 1, #list, 1000 do
    redis.call(cmd, key, unpack(list, i, math.min(i + 999, #list)))
  end
end
local prefix, now, ttl = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4])
local pushed, due, delayed = 0, {}, 0
for i = 5, #ARGV, 5 do
  local id, payload, max, run_at, key = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4]
  local fresh = true
  if key ~= "" then
    fresh = redis.call("SET", prefix .. ":idem:" .. key, id, "NX", "PX", ttl)
  end
  if fresh then
    local fields = {"d", payload, "a", 0, "m", max, "t", now}
    if key ~= "" then table.insert(fields, "k"); table.insert(fields, key) end
    redis.call("HSET", prefix .. ":j:" .. id, unpack(fields))
    if run_at > now then
      redis.call("ZADD", KEYS[2], run_at, id)
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
  redis.call("LPUSH", KEYS[3], 1)
  redis.call("LTRIM", KEYS[3], 0, 0)
end
redis.call("SADD", KEYS[4], ARGV[2])
return pushed
