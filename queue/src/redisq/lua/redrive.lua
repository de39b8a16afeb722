-- Puts dead jobs back on the queue with their attempts reset (an operator's re-drive): one
-- chunk per call, the caller loops (`admin.rs`).
-- KEYS[1] pending list, KEYS[2] dead zset, KEYS[3] signal list
-- ARGV[1] key prefix, ARGV[2] most dead ids to take when none are given (the chunk), ARGV[3]
-- "1" for a per-node queue, whose signal is a channel its host listens on (hub.rs), ARGV[4..]
-- ids (the caller passes a chunk at most; none: the oldest dead jobs)
-- Returns {taken, moved}: ids taken out of the dead set, and those put back (a job whose record
-- has expired is only dropped).
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
  signal(KEYS[3], ARGV[3] == "1")
end
return {#ids, #moved}
