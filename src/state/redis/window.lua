-- Sliding counts and capped sets of recent members, as src/state/window.rs
-- keeps them; prepended to each op's script.

local SLOTS = 12
local MAX_COUNT = 4294967295
-- A sliding count packed in one hash field: the newest slot's index (a
-- double: exact to 2^53) and the twelve slots, oldest position first.
local PACKED = '<d' .. string.rep('I4', SLOTS)

-- Counts one event at `t` (ms) in a window of `span` ms kept in `packed`
-- (nil when new); returns the new packing and the count in the window.
local function slide_add(packed, span, t)
  local slot_ms = math.max(math.floor(span / SLOTS), 1)
  local newest, counts = 0, {}
  if packed then
    local v = { struct.unpack(PACKED, packed) }
    newest = v[1]
    for i = 1, SLOTS do counts[i] = v[i + 1] end
  else
    for i = 1, SLOTS do counts[i] = 0 end
  end
  local slot = math.floor(t / slot_ms)
  if slot > newest then
    local gap = math.min(slot - newest, SLOTS)
    for s = newest + 1, newest + gap do counts[(s % SLOTS) + 1] = 0 end
    newest = slot
  end
  if newest - slot < SLOTS then
    local i = (slot % SLOTS) + 1
    counts[i] = math.min(counts[i] + 1, MAX_COUNT)
  end
  local total = 0
  for i = 1, SLOTS do total = total + counts[i] end
  return struct.pack(PACKED, newest, unpack(counts)), math.min(total, MAX_COUNT)
end

-- Seconds since the epoch, as the embedded store keeps them.
local function seconds(t)
  return math.min(math.floor(t / 1000), MAX_COUNT)
end

-- Members of the sorted set `key` seen within `span` of `t`: the score is
-- the second a member was last seen.
local function set_count(key, span, t)
  return redis.call('ZCOUNT', key, '(' .. seconds(math.max(t - span, 0)), '+inf')
end

-- Adds `member` seen at `t` to the set `key` of at most `cap` members
-- (when full: those older than the window go first, then the stalest),
-- gives the key `ttl` ms to live, and returns the members in the window.
-- A `fresh` set (just deleted) holds only the new member.
local function set_add(key, span, cap, member, t, ttl, fresh)
  local now = seconds(t)
  if fresh then
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, ttl)
    return 1
  end
  local oldest = seconds(math.max(t - span, 0))
  local seen = redis.call('ZSCORE', key, member)
  if seen then
    if now > tonumber(seen) then redis.call('ZADD', key, now, member) end
  else
    cap = math.max(cap, 1)
    if redis.call('ZCARD', key) >= cap then
      redis.call('ZREMRANGEBYSCORE', key, '-inf', oldest)
      if redis.call('ZCARD', key) >= cap then redis.call('ZPOPMIN', key) end
    end
    redis.call('ZADD', key, now, member)
  end
  redis.call('PEXPIRE', key, ttl)
  return redis.call('ZCOUNT', key, '(' .. oldest, '+inf')
end
