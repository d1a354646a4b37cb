-- Runs a batch of reservations and settlements of one JVM, one after the other in the order the
-- JVM received them, exactly as if each ran as a script of its own: every reservation is all or
-- none on its own counters, and sees what the operations before it in the batch left.
--
-- ARGV[1]: in-flight lease ms, ARGV[2]: pending marker ttl ms, ARGV[3]: operations in the batch.
-- Then per operation: type ('R' reserve, 'S' settle), pinned time (µs, '' for the server's),
-- n (counters of a reservation, charges of a settlement), reservation id, then its fields:
--   R: 7 per counter: kind (r, q, f), amount, threshold (capacity - required), a1 .. a4
--      rate: q, r, b, µs per unit; quota: four window boundaries; in-flight: a1 = slots.
--   S: 8 per charge: kind, delta, x1 .. x6
--      rate: q, r, b, µs per unit; quota: reserved window start, end (ms), then four candidate
--      boundaries around now; in-flight: x1 = the slot member.
-- KEYS per operation: its pending marker, then its n counters.
-- Returns per operation: status, now µs; a reservation then 2 per counter: used, aux.
--   R status: 1 admitted, 0 rejected, 2 no candidate window holds the time (nothing changed; the
--   JVM retries with windows around now). aux: a rate's progress, a quota's window index, 0 for
--   in-flight. A reservation answered 2 has zeros for used and aux.
--   S status: 1 applied, 0 settled before (or the marker expired), 2 as above.

local leaseMs = tonumber(ARGV[1])
local markerTtl = ARGV[2]

-- Reserves every charge of one call or none. k: KEYS index of its marker (counters follow);
-- at: ARGV index of its first counter's fields.
local function reserveOne(k, at, n, id)
  local out = {}
  local states = {}
  local windows = {}
  local fits = true
  for i = 1, n do
    local key = KEYS[k + i]
    local a = at + (i - 1) * 7
    local kind = ARGV[a]
    local threshold = tonumber(ARGV[a + 2])
    local used, aux
    if kind == 'r' then
      local s = readRate(key)
      refill(s, tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]))
      states[i] = s
      used, aux = s.u, s.p
    elseif kind == 'q' then
      local w = findWindow(a + 3)
      if not w then
        return 2, nil
      end
      local s = readQuota(key, w.start)
      states[i], windows[i] = s, w
      used, aux = s.u, w.index
    else
      redis.call('ZREMRANGEBYSCORE', key, '-inf', n2s(serverMs)) -- leases of calls never settled
      used, aux = redis.call('ZCARD', key), 0
    end
    if used > threshold then
      fits = false
    end
    out[2 * i - 1] = used
    out[2 * i] = aux
  end
  if not fits then
    return 0, out
  end
  for i = 1, n do
    local key = KEYS[k + i]
    local a = at + (i - 1) * 7
    local kind = ARGV[a]
    local amount = tonumber(ARGV[a + 1])
    if kind == 'r' then
      local s = states[i]
      s.u = math.min(s.u + amount, MAX_USED)
      writeRate(key, s, tonumber(ARGV[a + 6]))
    elseif kind == 'q' then
      local s = states[i]
      s.u = math.min(s.u + amount, MAX_USED)
      writeQuota(key, s, windows[i].start, windows[i].finish)
    else
      for slot = 1, tonumber(ARGV[a + 3]) do
        redis.call('ZADD', key, n2s(serverMs + leaseMs), id .. ':' .. slot)
      end
      redis.call('PEXPIRE', key, n2s(leaseMs))
    end
  end
  redis.call('SET', KEYS[k], '1', 'PX', markerTtl)
  return 1, out
end

-- Settles one reservation once: applies each charge's delta (actual - reserved).
local function settleOne(k, at, n)
  local windows = {}
  for i = 1, n do
    local a = at + (i - 1) * 8
    if ARGV[a] == 'q' then
      local delta = tonumber(ARGV[a + 1])
      local from, to = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
      if nowMs >= from and nowMs < to then
        windows[i] = {start = from, finish = to}
      elseif delta > 0 then
        -- the reservation's window has ended: an extra charge lands in the current one
        local w = findWindow(a + 4)
        if not w then
          return 2
        end
        windows[i] = w
      end
      -- else a refund to an ended window: dropped
    end
  end
  if redis.call('DEL', KEYS[k]) == 0 then
    return 0 -- settled before, or its marker expired
  end
  for i = 1, n do
    local key = KEYS[k + i]
    local a = at + (i - 1) * 8
    local kind = ARGV[a]
    local delta = tonumber(ARGV[a + 1])
    if kind == 'r' then
      if delta ~= 0 then
        local s = readRate(key)
        refill(s, tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]))
        s.u = math.min(s.u + delta, MAX_USED)
        if s.u <= 0 then
          s.u = 0
          s.p = 0
        end
        writeRate(key, s, tonumber(ARGV[a + 5]))
      end
    elseif kind == 'q' then
      local w = windows[i]
      if w and delta ~= 0 then
        local s = readQuota(key, w.start)
        s.u = s.u + delta
        if s.u < 0 then
          s.u = 0
        elseif s.u > MAX_USED then
          s.u = MAX_USED
        end
        writeQuota(key, s, w.start, w.finish)
      end
    else
      redis.call('ZREM', key, ARGV[a + 2])
    end
  end
  return 1
end

local result = {}
local a = 4
local k = 1
for _ = 1, tonumber(ARGV[3]) do
  local op, n, id = ARGV[a], tonumber(ARGV[a + 2]), ARGV[a + 3]
  setClock(ARGV[a + 1])
  if op == 'R' then
    local status, out = reserveOne(k, a + 4, n, id)
    result[#result + 1] = status
    result[#result + 1] = now
    for i = 1, 2 * n do
      result[#result + 1] = out and out[i] or 0
    end
    a = a + 4 + 7 * n
  else
    result[#result + 1] = settleOne(k, a + 4, n)
    result[#result + 1] = now
    a = a + 4 + 8 * n
  end
  k = k + 1 + n
end
return result
