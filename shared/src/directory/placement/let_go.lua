-- A node no longer holds these videos (evicted): each placed on it is placed nowhere, so its
-- next booking is placed afresh. Idempotent.
-- KEYS[1] <prefix>:place:video; KEYS[2] <prefix>:place:total
-- ARGV[1] the key prefix ("<prefix>:"); ARGV[2] the node; ARGV[3] now (unused: the same
-- arguments as hold.lua); ARGV[4..] the videos' paths.
local on_key = ARGV[1] .. 'place:on:' .. ARGV[2]
for i = 4, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[i]) end
  if redis.call('ZREM', on_key, ARGV[i]) == 1 then redis.call('DECR', KEYS[2]) end
end
return 0
