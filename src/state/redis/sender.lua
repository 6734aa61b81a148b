-- One message from a sender key (SenderOp): count it in the short and the
-- long window, count its recipient, and follow the walk of adjacent
-- recipient numbers.
-- ARGV: 1 prefix, 2 time ms, 3 sender key (hex), 4 recipient member ('' for
-- none), 5 recipient number (decimal, '' for none), 6 short window ms,
-- 7 long window ms, 8 cap, 9 largest adjacent gap.
-- Returns { short messages, long messages, recipients, walk }.

local prefix = ARGV[1]
local t = tonumber(ARGV[2])
local short_span = tonumber(ARGV[6])
local long_span = tonumber(ARGV[7])
local cap = tonumber(ARGV[8])
local gap = tonumber(ARGV[9])

local key = prefix .. '{s:' .. ARGV[3] .. '}'
local recipients_key = key .. ':r'
local held = redis.call('HMGET', key, 'exp', 'ttl', 'short', 'long', 'last', 'walk')
local expiry, ttl = tonumber(held[1]), tonumber(held[2])
local short_packed, long_packed, last, walk = held[3], held[4], held[5], tonumber(held[6])
local fresh = not expiry or not ttl or not short_packed or not long_packed or not walk or expiry <= t
if fresh then
  -- Absent, or forgotten by the messages' clock.
  redis.call('DEL', key, recipients_key)
  ttl, expiry = long_span, t + long_span
  short_packed, long_packed, last, walk = nil, nil, nil, 0
else
  expiry = math.max(expiry, t + ttl)
end

local short, short_messages = slide_add(short_packed, short_span, t)
local long, long_messages = slide_add(long_packed, long_span, t)
local recipients = 0
if ARGV[4] ~= '' then
  recipients = set_add(recipients_key, long_span, cap, ARGV[4], t, long_span, fresh)
elseif not fresh then
  recipients = set_count(recipients_key, long_span, t)
  redis.call('PEXPIRE', recipients_key, long_span)
end

local number = ARGV[5]
if number ~= '' then
  if last == number then
    -- The same recipient again: the walk neither grows nor breaks.
  elseif last and math.abs(tonumber(last) - tonumber(number)) <= gap then
    walk = walk + 1
  else
    walk = 1
  end
  last = number
end
local fields = { 'exp', expiry, 'ttl', ttl, 'short', short, 'long', long, 'walk', walk }
if last then
  fields[#fields + 1] = 'last'
  fields[#fields + 1] = last
end
redis.call('HSET', key, unpack(fields))
redis.call('PEXPIRE', key, long_span)

return { short_messages, long_messages, recipients, walk }
