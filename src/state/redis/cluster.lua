-- One content sketch seen once (ClusterOp): find the live cluster it
-- matches, or found one under the founder key, and count this copy.
-- ARGV: 1 prefix, 2 time ms, 3 window ms, 4 min matches, 5 cap,
-- 6 sender member ('' for none), 7 recipient member ('' for none),
-- 8 signature (4 bytes a value), 9 founder id (hex), 10.. band keys (hex).
-- Band value: '<cluster id hex> <expiry ms by the messages' clock>'.
-- Returns { id hex, messages, senders, recipients, first seen ms }.

local prefix = ARGV[1]
local t = tonumber(ARGV[2])
local span = tonumber(ARGV[3])
local min_matches = tonumber(ARGV[4])
local cap = tonumber(ARGV[5])
local signature = ARGV[8]

local function cluster_key(id) return prefix .. '{c:' .. id .. '}' end

local band_keys = {}
for i = 10, #ARGV do band_keys[#band_keys + 1] = prefix .. 'b:' .. ARGV[i] end
local band_values = redis.call('MGET', unpack(band_keys))

local bands = {}
local candidates, listed = {}, {}
for i, key in ipairs(band_keys) do
  local value = band_values[i]
  local id, expiry
  if value then
    id, expiry = string.match(value, '^(%x+) (%d+)$')
    expiry = tonumber(expiry)
  end
  if not id or not expiry or expiry <= t then id = nil end
  bands[i] = { key = key, id = id, expiry = expiry }
  if id and not listed[id] then
    listed[id] = true
    candidates[#candidates + 1] = id
  end
end

local best, best_matches = nil, -1
for _, id in ipairs(candidates) do
  local found = redis.call('HMGET', cluster_key(id), 'sig', 'exp')
  if found[1] and found[2] and tonumber(found[2]) > t then
    local theirs, matches = found[1], 0
    for i = 1, #signature, 4 do
      if string.sub(theirs, i, i + 3) == string.sub(signature, i, i + 3) then
        matches = matches + 1
      end
    end
    if matches >= min_matches and matches > best_matches then
      best, best_matches = id, matches
    end
  end
end

local id = best or ARGV[9]
local key = cluster_key(id)
local senders_key, recipients_key = key .. ':s', key .. ':r'
local held = redis.call('HMGET', key, 'exp', 'ttl', 'first', 'msg')
local expiry, ttl, first, messages_packed =
  tonumber(held[1]), tonumber(held[2]), tonumber(held[3]), held[4]
local fresh = not expiry or not ttl or not first or not messages_packed or expiry <= t
if fresh then
  -- Absent, or forgotten by the messages' clock: found it afresh.
  redis.call('DEL', key, senders_key, recipients_key)
  ttl, first, messages_packed, expiry = span, t, nil, t + span
else
  expiry = math.max(expiry, t + ttl)
end

local packed, messages = slide_add(messages_packed, span, t)
local senders, recipients = 0, 0
if ARGV[6] ~= '' then
  senders = set_add(senders_key, span, cap, ARGV[6], t, span, fresh)
elseif not fresh then
  senders = set_count(senders_key, span, t)
  redis.call('PEXPIRE', senders_key, span)
end
if ARGV[7] ~= '' then
  recipients = set_add(recipients_key, span, cap, ARGV[7], t, span, fresh)
elseif not fresh then
  recipients = set_count(recipients_key, span, t)
  redis.call('PEXPIRE', recipients_key, span)
end
if fresh then
  redis.call('HSET', key, 'sig', signature, 'first', first, 'ttl', ttl, 'exp', expiry, 'msg', packed)
else
  redis.call('HSET', key, 'exp', expiry, 'msg', packed)
end
redis.call('PEXPIRE', key, span)

-- A band that leads to another live cluster keeps leading there; it is
-- not refreshed on this cluster's behalf.
for _, band in ipairs(bands) do
  if not band.id then
    redis.call('SET', band.key, id .. ' ' .. (t + span), 'PX', span)
  elseif band.id == id and band.expiry < t + span then
    redis.call('SET', band.key, id .. ' ' .. (t + span), 'PX', span)
  end
end

return { id, messages, senders, recipients, first }
