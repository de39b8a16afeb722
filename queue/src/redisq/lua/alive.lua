-- Marks a worker alive, on Redis's clock, and forgets workers silent for far longer than their
-- heartbeat.
-- KEYS[1] workers zset
-- ARGV[1] worker, ARGV[2] gone after (ms)
local clock = redis.call("TIME")
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call("ZADD", KEYS[1], now, ARGV[1])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - tonumber(ARGV[2]))
return now
