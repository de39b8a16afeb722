-- Places a video on a push host in one atomic step (docs/design/placement.md). The pure
-- twin of this script is `choose` in placement/mod.rs: change both together.
--
-- KEYS[1] <prefix>:place:video  HASH video path -> the node it is placed on
-- KEYS[2] <prefix>:place:ring   ZSET (score 0) the nodes placement samples from
-- KEYS[3] <prefix>:place:total  STR  how many videos are placed, over every node
-- (and, built here from ARGV[4], <prefix>:place:on:<node>: ZSET the node's videos, scored by
-- when each was placed there; its size is the node's load)
-- ARGV[1] the video's path; ARGV[2] now (unix ms); ARGV[3] how long a node stays live (ms);
-- ARGV[4] the key prefix ("<prefix>:"); ARGV[5] the sample size; ARGV[6] the load factor (%);
-- ARGV[7..] the nodes that hold the video or have it on the way, as the database says.
-- Returns the node, or false when no live node can take it.
local path, now, live_for, prefix = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local sample, factor = tonumber(ARGV[5]), tonumber(ARGV[6])

local function on_key(node) return prefix .. 'place:on:' .. node end

local function status(node)
  local raw = redis.call('GET', prefix .. 'node:' .. node)
  if not raw then return nil end
  local ok, decoded = pcall(cjson.decode, raw)
  if ok and type(decoded) == 'table' then return decoded end
  return nil
end

local function live(s)
  return s ~= nil and type(s.seen_at) == 'number' and now - s.seen_at <= live_for
end

-- Room for a video once eviction has taken what no class references (NodeStatus::placeable_bytes).
local function placeable(s)
  local unreferenced = math.max((s.used_bytes or 0) - (s.referenced_bytes or 0), 0)
  local reserved = s.reserved_bytes or 0
  local cache = (s.max_video_size_bytes or 0) - (s.referenced_bytes or 0) - reserved
  local disk = (s.free_disk_bytes or 0) + unreferenced - (s.min_free_disk_bytes or 0) - reserved
  return math.min(cache, disk) > 0
end

-- 48 bits of SHA-1: exact in a Lua number, the same as `weight` in Rust.
local function hash(text) return tonumber(string.sub(redis.sha1hex(text), 1, 12), 16) end

local function place_on(node, from)
  redis.call('HSET', KEYS[1], path, node)
  if from and from ~= node and redis.call('ZREM', on_key(from), path) == 1 then
    redis.call('DECR', KEYS[3])
  end
  if redis.call('ZADD', on_key(node), 'NX', now, path) == 1 then redis.call('INCR', KEYS[3]) end
  return node
end

-- Sticky: the node the video is placed on, while it is live.
local mapped = redis.call('HGET', KEYS[1], path)
if mapped and live(status(mapped)) then return mapped end
-- A node the database says holds it (or has it on the way): what Redis forgot, derived again.
for i = 7, #ARGV do
  if live(status(ARGV[i])) then return place_on(ARGV[i], mapped) end
end

-- The candidates: every node of a small ring, else `sample` ranks drawn from the video's path.
local n = redis.call('ZCARD', KEYS[2])
if n == 0 then return false end
local nodes
if n <= sample then
  nodes = redis.call('ZRANGE', KEYS[2], 0, -1)
else
  nodes = {}
  local seen = {}
  for i = 1, sample do
    local rank = hash(path .. '#' .. i) % n
    if not seen[rank] then
      seen[rank] = true
      nodes[#nodes + 1] = redis.call('ZRANGE', KEYS[2], rank, rank)[1]
    end
  end
end

local candidates = {}
for _, node in ipairs(nodes) do
  local s = status(node)
  if not live(s) then
    -- Out of the ring until its next heartbeat puts it back (a node gone stays out).
    if redis.call('ZREM', KEYS[2], node) == 1 then n = n - 1 end
  elseif placeable(s) then
    candidates[#candidates + 1] =
      { node = node, weight = hash(path .. '@' .. node), load = redis.call('ZCARD', on_key(node)) }
  end
end
if #candidates == 0 then return false end

-- Rendezvous order, bounded load: the first by weight below the bound, else the least loaded.
table.sort(candidates, function(a, b)
  if a.weight ~= b.weight then return a.weight > b.weight end
  return a.node < b.node
end)
local total = tonumber(redis.call('GET', KEYS[3]) or '0')
local bound = math.ceil(factor * (total + 1) / (100 * math.max(n, 1)))
local chosen = nil
for _, c in ipairs(candidates) do
  if c.load < bound then chosen = c; break end
end
if not chosen then
  chosen = candidates[1]
  for _, c in ipairs(candidates) do
    if c.load < chosen.load then chosen = c end
  end
end
return place_on(chosen.node, mapped)
