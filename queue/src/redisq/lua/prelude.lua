-- What the queue scripts push, fetch, ack and redrive share: put before each where Rust loads it
-- (`concat!` with `lua/prelude.lua` first).
-- `unpack` fails above ~8k values: a command over a list goes a slice at a time (an even
-- slice, so score/member pairs stay whole).
local function each_slice(cmd, key, list)
  for i = 1, #list, 1000 do
    redis.call(cmd, key, unpack(list, i, math.min(i + 999, #list)))
  end
end
-- Wakes the queue's idle workers. A shared queue's signal is a list holding at most one token,
-- which a waiting worker's blocking pop takes (a token already there wakes the next as well);
-- a per-node queue's is a channel of that name its host listens on, on its one connection
-- (hub.rs).
local function signal(key, is_channel)
  if is_channel then
    redis.call("PUBLISH", key, 1)
  elseif redis.call("LLEN", key) == 0 then
    redis.call("LPUSH", key, 1)
  end
end
