-- Puts dead jobs back on the queue with their attempts reset (an operator's re-drive): one
-- chunk per call, the caller loops (`admin.rs`).
-- KEYS[1] pending list, KEYS[2] dead zset, KEYS[3] signal list
-- ARGV[1] key prefix, ARGV[2] most dead ids to take when none are given (the chunk), ARGV[3]
-- "1" for a per-node queue, whose signal is a channel its host listens on (hub.rs), ARGV[4..]
-- ids (the caller passes a chunk at most; none: the oldest dead jobs)
-- Returns {taken, moved}: ids taken out of the dead set, and those put back (a job whose record
-- has expired is only dropped).
-- `unpack` fails above ~8k values: a command over a list goes a slice at a time (an even
-- slice, so score/member pairs stay whole).
local function each_slice(cmd, key, list)
  for i = 1, #list, 1000 do
    redis.call(cmd, key, unpack(list, i, math.min(i + 999, #list)))
  end
end
local prefix, chunk = ARGV[1], tonumber(ARGV[2])
local ids = {}
if #ARGV > 3 then
  for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
else
  ids = redis.call("ZRANGE", KEYS[2], 0, chunk - 1)
end
local moved = {}
for _, id in ipairs(ids) do
  local key = prefix .. ":j:" .. id
  if redis.call("ZREM", KEYS[2], id) == 1 and redis.call("EXISTS", key) == 1 then
    redis.call("HSET", key, "s", "pending", "a", 0)
    redis.call("PERSIST", key)
    moved[#moved + 1] = id
  end
end
if #moved > 0 then
  each_slice("RPUSH", KEYS[1], moved)
  if ARGV[3] == "1" then
    redis.call("PUBLISH", KEYS[3], 1)
  else
    redis.call("LPUSH", KEYS[3], 1)
    redis.call("LTRIM", KEYS[3], 0, 0)
  end
end
return {#ids, #moved}
