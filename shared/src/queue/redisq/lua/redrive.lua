-- Puts dead jobs back on the queue with their attempts reset (an operator's re-drive).
-- KEYS[1] pending list, KEYS[2] dead zset, KEYS[3] signal list
-- ARGV[1] key prefix, ARGV[2] limit, ARGV[3..] ids (none: the oldest `limit` dead jobs)
local prefix, limit = ARGV[1], tonumber(ARGV[2])
local ids = {}
if #ARGV > 2 then
  for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
else
  ids = redis.call("ZRANGE", KEYS[2], 0, limit - 1)
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
  redis.call("RPUSH", KEYS[1], unpack(moved))
  redis.call("LPUSH", KEYS[3], 1)
  redis.call("LTRIM", KEYS[3], 0, 0)
end
return #moved
