-- A node holds these videos (its ready and holdings reports): each not placed yet is placed
-- on it. A video placed on another node stays there. Idempotent.
-- KEYS[1] <prefix>:place:video; KEYS[2] <prefix>:place:total
-- ARGV[1] the key prefix ("<prefix>:"); ARGV[2] the node; ARGV[3] now (unix ms);
-- ARGV[4..] the videos' paths.
local on_key = ARGV[1] .. 'place:on:' .. ARGV[2]
for i = 4, #ARGV do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[2]) == 1 and redis.call('ZADD', on_key, 'NX', ARGV[3], ARGV[i]) == 1 then
    redis.call('INCR', KEYS[2])
  end
end
return 0
