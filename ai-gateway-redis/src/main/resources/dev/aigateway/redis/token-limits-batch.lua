-- Runs a batch of reservations and settlements of one JVM, one after the other in the order the
-- JVM received them, exactly as if each ran as a script of its own: every reservation is all or
-- none on its own counters, and sees what the operations before it in the batch left.
--
-- Called as FCALL <prefix>batch (or <prefix>batch_oom, which Redis runs also when out of memory).
-- KEYS[1]: the store's pending set (reservation ids not yet settled, scored by the epoch ms their
-- settlement window ends); then per operation its n counters.
-- ARGV[1]: in-flight lease ms, ARGV[2]: settlement window ms, ARGV[3]: operations in the batch,
-- ARGV[4]: '1' for upkeep (drop ended entries of the pending set and of the in-flight sets the
-- batch touches), else ''.
-- Then per operation: type ('R' reserve, 'S' settle), pinned time (µs, '' for the server's),
-- n (counters of a reservation, charges of a settlement), reservation id, then its fields:
--   R: 7 per counter: kind (r, q, f), amount, threshold (capacity - required), a1 .. a4
--      rate: q, r, b, µs per unit; quota: four window boundaries; in-flight: a1 = slots.
--   S: 8 per charge: kind, delta, x1 .. x6
--      rate: q, r, b, µs per unit; quota: reserved window start, end (ms), then four candidate
--      boundaries around now; in-flight: x1 = the slot member.
-- Returns per operation: status, now µs; a reservation then 2 per counter: used, aux.
--   R status: 1 admitted, 0 rejected, 2 no candidate window holds the time (nothing changed; the
--   JVM retries with windows around now). aux: a rate's progress, a quota's window index, 0 for
--   in-flight. A reservation answered 2 has zeros for used and aux.
--   S status: 1 applied, 0 settled before (or its settlement window ended), 2 as above.
--
-- What it costs Redis is mostly the number of commands it calls, so it calls few, whatever the
-- batch holds: one MGET reads every rate and quota counter of the batch; the operations then work
-- on those values in Lua; at the end each changed counter is written once (SET ... PX, or one DEL
-- for all that emptied). Reservation ids are members of one sorted set per store: one ZMSCORE
-- checks the settlements' ids, one ZREM removes them, one ZADD (and PEXPIRE) adds the new ones.
-- In-flight sets are counted and changed in place (ZCOUNT, ZADD, PEXPIRE; ZREM).

-- The batch being run (set by batch at its start; the helpers below share them).
local leaseMs, leaseArg, pendingKey, upkeep
local serverMsText, liveFrom, leaseEnd
local result
-- The batch's rate and quota counters: packed value (false: none), and for the changed ones how
-- long they live (ms; 0: deleted), in the order first changed.
local value, ttlOf, changed
-- The ids of reservations this batch settles or makes: whether each is pending now.
local pending, addedHere, settledIds, added
-- In-flight sets this batch has cleaned of ended leases (upkeep batches only).
local cleaned

-- Per counter of the operation being run: its state between the check and the write. Reused by
-- every operation and every batch (each field is set before it is read).
local su, sp, st, sw, sf = {}, {}, {}, {}, {}

local function setValue(key, v, ttl)
  if ttlOf[key] == nil then
    changed[#changed + 1] = key
  end
  value[key] = v
  ttlOf[key] = ttl
end

-- Reserves every charge of one call or none. k: KEYS index of its first counter; at: ARGV index
-- of its first counter's fields; out: index in result before its first counter's pair (used,
-- aux), which it fills. Returns the status.
local function reserveOne(k, at, n, id, out)
  local fits = true
  for i = 1, n do
    local key = KEYS[k + i - 1]
    local a = at + (i - 1) * 7
    local kind = ARGV[a]
    local used, aux
    if kind == 'r' then
      local u, p, t = rateOf(value[key])
      u, p, t = refill(u, p, t, tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]))
      su[i], sp[i], st[i] = u, p, t
      used, aux = u, p
    elseif kind == 'q' then
      local j, from, to = findWindow(a + 3)
      if not j then
        return 2
      end
      used, aux = quotaOf(value[key], from), j
      su[i], sw[i], sf[i] = used, from, to
    else
      if upkeep and not cleaned[key] then
        cleaned[key] = true
        redis.call('ZREMRANGEBYSCORE', key, '-inf', serverMsText) -- leases of calls never settled
      end
      used, aux = redis.call('ZCOUNT', key, liveFrom, '+inf'), 0
    end
    if used > tonumber(ARGV[a + 2]) then
      fits = false
    end
    result[out + 2 * i - 1] = used
    result[out + 2 * i] = aux
  end
  if not fits then
    return 0
  end
  for i = 1, n do
    local key = KEYS[k + i - 1]
    local a = at + (i - 1) * 7
    local kind = ARGV[a]
    if kind == 'r' then
      setValue(key, rateValue(math.min(su[i] + tonumber(ARGV[a + 1]), MAX_USED), sp[i], st[i],
        tonumber(ARGV[a + 6])))
    elseif kind == 'q' then
      setValue(key, quotaValue(math.min(su[i] + tonumber(ARGV[a + 1]), MAX_USED), sw[i], sf[i]))
    else
      for slot = 1, tonumber(ARGV[a + 3]) do
        redis.call('ZADD', key, leaseEnd, id .. ':' .. slot)
      end
      redis.call('PEXPIRE', key, leaseArg)
    end
  end
  pending[id] = true
  addedHere[id] = true
  added[#added + 1] = id
  return 1
end

-- Settles one reservation once: applies each charge's delta (actual - reserved).
local function settleOne(k, at, n, id)
  for i = 1, n do
    local a = at + (i - 1) * 8
    sw[i] = false
    if ARGV[a] == 'q' then
      local delta = tonumber(ARGV[a + 1])
      local from, to = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
      if nowMs >= from and nowMs < to then
        sw[i], sf[i] = from, to
      elseif delta > 0 then
        -- the reservation's window has ended: an extra charge lands in the current one
        local j
        j, from, to = findWindow(a + 4)
        if not j then
          return 2
        end
        sw[i], sf[i] = from, to
      end
      -- else a refund to an ended window: dropped
    end
  end
  if not pending[id] then
    return 0 -- settled before, or its settlement window ended
  end
  pending[id] = false
  if not addedHere[id] then
    settledIds[#settledIds + 1] = id
  end
  for i = 1, n do
    local key = KEYS[k + i - 1]
    local a = at + (i - 1) * 8
    local kind = ARGV[a]
    local delta = tonumber(ARGV[a + 1])
    if kind == 'r' then
      if delta ~= 0 then
        local u, p, t = rateOf(value[key])
        u, p, t = refill(u, p, t, tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]),
          tonumber(ARGV[a + 4]))
        u = math.min(u + delta, MAX_USED)
        if u <= 0 then
          u, p = 0, 0
        end
        setValue(key, rateValue(u, p, t, tonumber(ARGV[a + 5])))
      end
    elseif kind == 'q' then
      local from = sw[i]
      if from and delta ~= 0 then
        local u = quotaOf(value[key], from) + delta
        if u < 0 then
          u = 0
        elseif u > MAX_USED then
          u = MAX_USED
        end
        setValue(key, quotaValue(u, from, sf[i]))
      end
    else
      redis.call('ZREM', key, ARGV[a + 2])
    end
  end
  return 1
end

-- Runs one batch: the function called with FCALL.
local function batch(keys, args)
  startCall(keys, args)
  leaseMs = tonumber(ARGV[1])
  leaseArg = ARGV[1]
  pendingKey = KEYS[1]
  upkeep = ARGV[4] == '1'
  serverMsText = n2s(serverMs)
  liveFrom = '(' .. serverMsText -- leases that end after now
  leaseEnd = n2s(serverMs + leaseMs)
  result, value, ttlOf, changed = {}, {}, {}, {}
  pending, addedHere, settledIds, added, cleaned = {}, {}, {}, {}, {}

  -- Read first: every rate and quota counter of the batch (one MGET) and whether each settled
  -- reservation is still pending (one ZMSCORE).
  do
    local keys, ids = {}, {}
    local a, k = 5, 2
    for _ = 1, tonumber(ARGV[3]) do
      local op, n = ARGV[a], tonumber(ARGV[a + 2])
      local width = 7
      if op == 'S' then
        width = 8
        ids[#ids + 1] = ARGV[a + 3]
      end
      for i = 1, n do
        local key = KEYS[k + i - 1]
        if ARGV[a + 4 + (i - 1) * width] ~= 'f' and value[key] == nil then
          value[key] = false
          keys[#keys + 1] = key
        end
      end
      a = a + 4 + width * n
      k = k + n
    end
    if #keys > 0 then
      local values = redis.call('MGET', unpack(keys))
      for i = 1, #keys do
        value[keys[i]] = values[i]
      end
    end
    if #ids > 0 then
      local scores = redis.call('ZMSCORE', pendingKey, unpack(ids))
      for i = 1, #ids do
        -- an id whose settlement window has ended counts as settled, removed or not
        pending[ids[i]] = scores[i] and tonumber(scores[i]) > serverMs or false
      end
    end
  end

  local r = 0 -- the reply's length so far
  local a = 5
  local k = 2
  for _ = 1, tonumber(ARGV[3]) do
    local op, n, id = ARGV[a], tonumber(ARGV[a + 2]), ARGV[a + 3]
    setClock(ARGV[a + 1])
    if op == 'R' then
      local status = reserveOne(k, a + 4, n, id, r + 2)
      result[r + 1] = status
      result[r + 2] = now
      if status == 2 then
        for i = r + 3, r + 2 + 2 * n do
          result[i] = 0
        end
      end
      r = r + 2 + 2 * n
      a = a + 4 + 7 * n
    else
      result[r + 1] = settleOne(k, a + 4, n, id)
      result[r + 2] = now
      r = r + 2
      a = a + 4 + 8 * n
    end
    k = k + n
  end

  -- Then write: each changed counter once, the pending set's changes in one command each.
  local gone = {}
  for i = 1, #changed do
    local key = changed[i]
    local v = value[key]
    if v then
      redis.call('SET', key, v, 'PX', n2s(ttlOf[key]))
    else
      gone[#gone + 1] = key
    end
  end
  if #gone > 0 then
    redis.call('DEL', unpack(gone))
  end
  if #settledIds > 0 then
    redis.call('ZREM', pendingKey, unpack(settledIds))
  end
  local window = tonumber(ARGV[2])
  if upkeep then
    redis.call('ZREMRANGEBYSCORE', pendingKey, '-inf', serverMsText)
  end
  if #added > 0 then
    local members = {}
    local ends = n2s(serverMs + window)
    for i = 1, #added do
      local id = added[i]
      if pending[id] then
        members[#members + 1] = ends
        members[#members + 1] = id
      end
    end
    if #members > 0 then
      redis.call('ZADD', pendingKey, unpack(members))
      -- the set outlives its newest entry; a JVM that stops leaves it to expire
      redis.call('PEXPIRE', pendingKey, ARGV[2])
    end
  end
  return result
end

-- Without flags Redis refuses the whole call when it is out of memory, so a reservation is never
-- partly taken; a batch of settlements only may run then (it mostly frees memory).
redis.register_function{function_name = FUNCTION_PREFIX .. 'batch', callback = batch}
redis.register_function{
  function_name = FUNCTION_PREFIX .. 'batch_oom', callback = batch, flags = {'allow-oom'}}
