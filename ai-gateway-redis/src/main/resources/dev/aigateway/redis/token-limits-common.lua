-- Shared part of the token limit scripts (reserve, settle). Every amount is an integer held in a
-- Lua double: exact below 2^53, and the gateway never charges more than 10^12 at once.
--
-- Counters:
--   rate       hash {u = units used (capacity minus what is left, >= 0),
--                    p = progress towards the next refilled unit, in 1/b of a unit, [0, b),
--                    t = time of the last refill, microseconds}
--   quota      hash {w = start of the window counted (epoch ms), u = units used in it}
--   in-flight  sorted set of slot members, scored by the epoch ms their lease ends
-- A rate refills a/b units per microsecond; the JVM passes q = floor(a/b), r = a mod b and b
-- (b < 2^52), so refill is exact integer arithmetic however large the capacity.

local TWO26 = 67108864
local TWO52 = 4503599627370496
local MAX_USED = 4611686018427387904 -- 2^62: overdrafts saturate here
local MAX_TTL_MS = 1000000000000000

local clock = redis.call('TIME')
-- The lease clock is always the server's; the limit clock too, unless a test pinned it (per
-- operation: see setClock).
local serverMs = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local serverNow = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local now = serverNow
local nowMs = serverMs

-- The limit clock of the next operation: the server's, or a pinned time (µs) a test passed.
local function setClock(pinned)
  if pinned == '' then
    now = serverNow
  else
    now = tonumber(pinned)
  end
  nowMs = math.floor(now / 1000)
end

local function n2s(x)
  return string.format('%.0f', x)
end

-- floor((e * r + p) / b) and its remainder, exactly, for e < 2^52, r < b < 2^52, p < b.
local function mulAddDivMod(e, r, p, b)
  local x = e * r
  if x < TWO52 then
    local n = x + p
    local k = math.floor(n / b)
    local rem = n - k * b
    if rem < 0 then
      k = k - 1
      rem = rem + b
    elseif rem >= b then
      k = k + 1
      rem = rem - b
    end
    return k, rem
  end
  -- e * r + p in four limbs of 26 bits (most significant first), then long division bit by bit:
  -- the remainder stays below b < 2^52, so every step is exact.
  local eh, el = math.floor(e / TWO26), e % TWO26
  local rh, rl = math.floor(r / TWO26), r % TWO26
  local ph, pl = math.floor(p / TWO26), p % TWO26
  local l0 = el * rl + pl
  local d0 = l0 % TWO26
  local l1 = eh * rl + math.floor(l0 / TWO26) + ph
  local d1 = l1 % TWO26
  local carry = math.floor(l1 / TWO26)
  local t = d1 + el * rh
  d1 = t % TWO26
  carry = carry + math.floor(t / TWO26)
  local l2 = eh * rh + carry
  local d2 = l2 % TWO26
  local d3 = math.floor(l2 / TWO26)
  local digits = {d3, d2, d1, d0}
  local k, rem = 0, 0
  for i = 1, 4 do
    local d = digits[i]
    local top = 25
    if i == 1 then
      top = 27
    end
    for bit = top, 0, -1 do
      local pw = 2 ^ bit
      rem = rem * 2 + math.floor(d / pw) % 2
      k = k * 2
      if rem >= b then
        rem = rem - b
        k = k + 1
      end
    end
  end
  return k, rem
end

local function readRate(key)
  local v = redis.call('HMGET', key, 'u', 'p', 't')
  if not v[1] then
    return {u = 0, p = 0, t = now}
  end
  return {u = tonumber(v[1]), p = tonumber(v[2]), t = tonumber(v[3])}
end

-- Adds the units refilled since the state's time; never above capacity (u = 0). A clock that
-- stepped back refills nothing and keeps the reference time.
local function refill(s, q, r, b)
  if now <= s.t then
    return
  end
  local e = now - s.t
  s.t = now
  if s.u <= 0 then
    s.u = 0
    s.p = 0
    return
  end
  if e >= TWO52 then
    e = TWO52 - 1
  end
  if q > 0 and e * q >= s.u then
    s.u = 0
    s.p = 0
    return
  end
  local k, rem = mulAddDivMod(e, r, s.p, b)
  local units = e * q + k
  if units >= s.u then
    s.u = 0
    s.p = 0
  else
    s.u = s.u - units
    s.p = rem
  end
end

-- A full bucket is no key at all; otherwise the key lives until the bucket would be full again.
local function writeRate(key, s, microsPerUnit)
  if s.u <= 0 then
    redis.call('DEL', key)
    return
  end
  local ttl = math.ceil(s.u * microsPerUnit / 1000) + 1000
  if ttl > MAX_TTL_MS then
    ttl = MAX_TTL_MS
  end
  redis.call('HSET', key, 'u', n2s(s.u), 'p', n2s(s.p), 't', n2s(s.t))
  redis.call('PEXPIRE', key, n2s(ttl))
end

-- The window holding the limit clock among the candidates ARGV[at .. at + 3] (four boundaries,
-- epoch ms: the window before the JVM's estimate, the estimate's, the one after), or nil.
local function findWindow(at)
  for j = 0, 2 do
    local from = tonumber(ARGV[at + j])
    local to = tonumber(ARGV[at + j + 1])
    if nowMs >= from and nowMs < to then
      return {index = j, start = from, finish = to}
    end
  end
  return nil
end

local function readQuota(key, start)
  local v = redis.call('HMGET', key, 'w', 'u')
  if not v[1] or tonumber(v[1]) ~= start then
    return {u = 0}
  end
  return {u = tonumber(v[2])}
end

-- A quota holding nothing is no key; otherwise the key lives until its window ends.
local function writeQuota(key, s, start, finish)
  if s.u <= 0 then
    redis.call('DEL', key)
    return
  end
  local ttl = finish - nowMs
  if ttl < 1 then
    ttl = 1
  end
  redis.call('HSET', key, 'w', n2s(start), 'u', n2s(s.u))
  redis.call('PEXPIRE', key, n2s(ttl))
end
