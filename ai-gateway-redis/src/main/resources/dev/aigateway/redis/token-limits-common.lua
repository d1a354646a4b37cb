-- Shared part of the token limit library (functions batch, batch_oom, peek; see
-- RedisTokenLimitStore): everything here is defined once, when the library is loaded, not on each
-- call. Every amount is an integer held in a Lua double: exact below 2^53, and the gateway never
-- charges more than 10^12 at once.
--
-- Counters (key layout: rate keys are named r3 with unit, capacity and period, quota keys q3 with
-- unit, period and zone; see docs/scale-out.md):
--   rate       string of three little-endian doubles (struct '<ddd'):
--                u = units used (capacity minus what is left, >= 0),
--                p = progress towards the next refilled unit, in 1/b of a unit, [0, b),
--                t = time of the last refill, microseconds
--   quota      string of two little-endian doubles (struct '<dd'):
--                w = start of the window counted (epoch ms), u = units used in it
--   in-flight  sorted set of slot members, scored by the epoch ms their lease ends
-- One GET reads a counter and one SET ... PX writes it with its expiry: two commands, where a hash
-- needed HMGET, HSET and PEXPIRE. The values are packed by the struct library (C), which costs a
-- fraction of formatting numbers as text in Lua.
-- A rate refills a/b units per microsecond; the JVM passes q = floor(a/b), r = a mod b and b
-- (b < 2^52), so refill is exact integer arithmetic however large the capacity.

local TWO26 = 67108864
local TWO52 = 4503599627370496
local MAX_USED = 4611686018427387904 -- 2^62: overdrafts saturate here
local MAX_TTL_MS = 1000000000000000
-- struct.pack and struct.unpack: Redis gives a library the struct module when it runs a
-- function, not while it loads the library.
local spack, sunpack

-- The call being run: its keys and arguments (the library's functions share them), and the
-- server's time, read once per call. The lease clock is always the server's; the limit clock too,
-- unless a test pinned it (per operation: see setClock).
local KEYS, ARGV
local serverMs, serverNow, now, nowMs

-- Starts a call: its keys and arguments, and the server's TIME.
local function startCall(keys, args)
  KEYS, ARGV = keys, args
  spack, sunpack = struct.pack, struct.unpack
  local clock = redis.call('TIME')
  serverMs = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
  serverNow = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
  now = serverNow
  nowMs = serverMs
end

-- The limit clock of the next operation: the server's, or a pinned time (µs) a test passed.
local function setClock(pinned)
  if pinned == '' then
    now = serverNow
    nowMs = serverMs
  else
    now = tonumber(pinned)
    nowMs = math.floor(now / 1000)
  end
end

-- redis.call(command, head, list...) for a list of any length, in chunks: unpack refuses more
-- values than Lua's C stack holds (LUAI_MAXCSTACK, 8000), which a batch of many calls with many
-- counters each passes. The replies of the chunks, when tables, in one table. A chunk is even, so
-- a list of pairs (ZADD's score, member) is never split inside a pair.
local CHUNK = 1024
local function callChunked(command, head, list)
  local out = {}
  local n = #list
  for from = 1, n, CHUNK do
    local to = math.min(from + CHUNK - 1, n)
    local reply
    if head then
      reply = redis.call(command, head, unpack(list, from, to))
    else
      reply = redis.call(command, unpack(list, from, to))
    end
    if type(reply) == 'table' then
      for i = 1, #reply do
        out[#out + 1] = reply[i]
      end
    end
  end
  return out
end

-- An integer as the decimal text Redis expects (a Lua number would print in %.14g).
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

-- A key of a counter may hold what this library did not write (another application, an operator):
-- a string of another length than the packed value, a string of that length whose units used are
-- not a whole number from 0 to MAX_USED (or whose other fields are not finite), or another type
-- (MGET reads it as none). Such a key counts as no counter, and the next write of the counter
-- replaces it, so that it fails neither its own calls nor the other operations of a batch (one
-- error would refuse them all), nor spends the counter for good.

-- Whether x is a finite number (not NaN, not infinite).
local function finite(x)
  return x == x and x > -math.huge and x < math.huge
end

-- Whether u can be the units used of a counter this library wrote.
local function unitsUsed(u)
  return u >= 0 and u <= MAX_USED and u == math.floor(u)
end

-- A rate bucket's state (used, progress, time) from its packed value; none (or a value this
-- library did not write) is a full bucket as of now.
local function rateOf(v)
  if not v or #v ~= 24 then
    return 0, 0, now
  end
  local u, p, t = sunpack('<ddd', v)
  if not (unitsUsed(u) and finite(p) and p >= 0 and finite(t)) then
    return 0, 0, now
  end
  return u, p, t
end

-- The state after adding the units refilled since time t; never above capacity (u = 0). A clock
-- that stepped back refills nothing and keeps the reference time.
local function refill(u, p, t, q, r, b)
  if now <= t then
    return u, p, t
  end
  local e = now - t
  if u <= 0 then
    return 0, 0, now
  end
  if e >= TWO52 then
    e = TWO52 - 1
  end
  if q > 0 and e * q >= u then
    return 0, 0, now
  end
  local k, rem = mulAddDivMod(e, r, p, b)
  local units = e * q + k
  if units >= u then
    return 0, 0, now
  end
  return u - units, rem, now
end

-- A rate bucket's packed value and how long its key lives (ms): until the bucket would be full
-- again. A full bucket is no key at all (ttl 0).
local function rateValue(u, p, t, microsPerUnit)
  if u <= 0 then
    return false, 0
  end
  local ttl = math.ceil(u * microsPerUnit / 1000) + 1000
  if ttl > MAX_TTL_MS then
    ttl = MAX_TTL_MS
  end
  return spack('<ddd', u, p, t), ttl
end

-- The window holding the limit clock among the candidates ARGV[at .. at + 3] (four boundaries,
-- epoch ms: the window before the JVM's estimate, the estimate's, the one after): its index
-- (0 .. 2), start and end, or nil.
local function findWindow(at)
  local from = tonumber(ARGV[at])
  for j = 0, 2 do
    local to = tonumber(ARGV[at + j + 1])
    if nowMs >= from and nowMs < to then
      return j, from, to
    end
    from = to
  end
  return nil
end

-- Units used in the quota window starting at start, from the counter's packed value: 0 when there
-- is none (or a value this library did not write) or it counts another window.
local function quotaOf(v, start)
  if not v or #v ~= 16 then
    return 0
  end
  local w, u = sunpack('<dd', v)
  if w ~= start or not unitsUsed(u) then
    return 0
  end
  return u
end

-- A quota counter's packed value and how long its key lives (ms): until its window ends. A quota
-- holding nothing is no key (ttl 0).
local function quotaValue(u, start, finish)
  if u <= 0 then
    return false, 0
  end
  local ttl = finish - nowMs
  if ttl < 1 then
    ttl = 1
  end
  return spack('<dd', start, u), ttl
end

-- A counter's string value for rateOf or quotaOf: false when there is none or the key holds
-- another type.
local function stringAt(key)
  local v = redis.pcall('GET', key)
  if type(v) ~= 'string' then
    return false
  end
  return v
end

-- The leases of in-flight set key that end after from (a ZCOUNT bound), or nil when the key holds
-- another type (it then counts no slot; a batch deletes it before adding a lease).
local function leasesAfter(key, from)
  local c = redis.pcall('ZCOUNT', key, from, '+inf')
  if type(c) ~= 'number' then
    return nil
  end
  return c
end
