-- Runs a batch of reservations and settlements of one JVM, one after the other in the order the
-- JVM received them, exactly as if each ran as a script of its own: every reservation is all or
-- none on its own counters, and sees what the operations before it in the batch left.
--
-- Called as FCALL <prefix>batch (or <prefix>batch_oom, which Redis runs also when out of memory).
-- KEYS[1]: the store's pending set (reservation ids not yet settled, scored by the epoch ms their
-- settlement window ends); then per operation its n counters.
-- ARGV[1]: in-flight lease ms, ARGV[2]: settlement window ms, ARGV[3]: operations in the batch,
-- ARGV[4]: '1' for upkeep (drop ended entries of the pending set and of the in-flight sets the
-- batch touches), else '', ARGV[5]: limits described in the batch (m).
-- Then m limit descriptions, 5 fields each, which the operations refer to by number (1 .. m), so a
-- limit's terms cross the wire and are parsed once per batch however many calls it counts:
--   kind (r, q, f), then rate: q, r, b, µs per unit; quota: four window boundaries around the
--   JVM's estimate of now (epoch ms); in-flight: unused.
-- Then per operation: type ('R' reserve, 'S' settle, 'C' cancel), pinned time (µs, '' for the
-- server's), n (counters of a reservation, charges of a settlement), reservation id, then its
-- fields:
--   R: 3 per counter: limit number, amount (an in-flight limit's: its slots), threshold
--      (capacity - required).
--   S: 4 per charge: limit number, delta, x1, x2: a quota's reserved window start and end (ms), an
--      in-flight limit's slot member in x1; else unused.
--   C: as S, the deltas refunding every charge, a quota's x1 and x2 empty: the cancellation of a
--      reservation whose caller got no answer (it timed out). If the reservation ran, it is settled
--      to nothing, a quota's charge in the candidate window (of the quota's description) holding
--      the time it ran (its pending entry's score less the settlement window); if it has not run,
--      a mark ('~' .. id in the pending set, for the settlement window) makes it do nothing should
--      it still arrive.
-- Returns per operation: status, now µs; a reservation then 2 per counter: used, aux.
--   R status: 1 admitted, 0 rejected (or cancelled before it ran: zeros for used and aux), 2 no
--   candidate window holds the time (nothing changed; the JVM retries with windows around now).
--   aux: a rate's progress, a quota's window index, 0 for in-flight. A reservation answered 2 has
--   zeros for used and aux.
--   S status: 1 applied, 0 settled before (or its settlement window ended), 2 as above.
--   C status: 1 settled to nothing, 0 marked as cancelled (or its settlement window ended).
--
-- What it costs Redis is mostly the number of commands it calls, so it calls few, whatever the
-- batch holds: one MGET reads every rate and quota counter of the batch; the operations then work
-- on those values in Lua; at the end each changed counter is written once (SET ... PX, or one DEL
-- for all that emptied). Reservation ids are members of one sorted set per store: one ZMSCORE
-- checks the settlements' ids (and the reservations' cancellation marks), one ZREM removes them,
-- one ZADD (and PEXPIRE) adds the new ones. (Each of those takes at most a chunk of its list at a
-- time, see callChunked: a batch passing Lua's unpack limit is called in a few commands.)
-- In-flight sets are counted and changed in place (ZCOUNT, ZADD; ZREM), and each set given leases
-- is extended once per batch (PEXPIRE).

-- The batch being run (set by batch at its start; the helpers below share them).
local leaseMs, leaseArg, pendingKey, upkeep
local serverMsText, liveFrom, leaseEnd
local result
-- The batch's rate and quota counters: packed value (false: none), and for the changed ones how
-- long they live (ms; 0: deleted), in the order first changed.
local value, ttlOf, changed
-- The ids of reservations this batch settles or makes: whether each is pending now, the score of
-- its pending entry, and the ids cancelled before they ran.
local pending, addedHere, settledIds, added, pendingScore, cancelled, cancelledIds
-- In-flight sets this batch has cleaned of ended leases (upkeep batches only), and the ones it added
-- leases to, in order (each is extended once, at the end: every lease of a batch ends at the same
-- time).
local cleaned, leased, leasedList
-- The batch's limit descriptions, by number: kind and its four terms as numbers. Reused by every
-- batch (entries 1 .. m are set before they are read).
local lk, l1, l2, l3, l4 = {}, {}, {}, {}, {}

-- Per counter of the operation being run: its state between the check and the write. Reused by
-- every operation and every batch (each field is set before it is read).
local su, sp, st, sw, sf, sd, sa = {}, {}, {}, {}, {}, {}, {}

local function setValue(key, v, ttl)
  if ttlOf[key] == nil then
    changed[#changed + 1] = key
  end
  value[key] = v
  ttlOf[key] = ttl
end

-- The window of quota limit d holding the limit clock among its three candidates: its index
-- (0 .. 2), start and end, or nil.
local function windowOf(d)
  local w0, w1, w2, w3 = l1[d], l2[d], l3[d], l4[d]
  if nowMs < w0 or nowMs >= w3 then
    return nil
  elseif nowMs < w1 then
    return 0, w0, w1
  elseif nowMs < w2 then
    return 1, w1, w2
  end
  return 2, w2, w3
end

-- Reserves every charge of one call or none. k: KEYS index of its first counter; at: ARGV index
-- of its first counter's fields; out: index in result before its first counter's pair (used,
-- aux), which it fills. Returns the status.
local function reserveOne(k, at, n, id, out)
  local fits = true
  for i = 1, n do
    local key = KEYS[k + i - 1]
    local a = at + (i - 1) * 3
    local d = tonumber(ARGV[a])
    local kind = lk[d]
    local used, aux
    sd[i], sa[i] = d, tonumber(ARGV[a + 1])
    if kind == 'r' then
      local u, p, t = rateOf(value[key])
      u, p, t = refill(u, p, t, l1[d], l2[d], l3[d])
      su[i], sp[i], st[i] = u, p, t
      used, aux = u, p
    elseif kind == 'q' then
      local j, from, to = windowOf(d)
      if not j then
        return 2
      end
      used, aux = quotaOf(value[key], from), j
      su[i], sw[i], sf[i] = used, from, to
    else
      if upkeep and not cleaned[key] then
        cleaned[key] = true
        redis.pcall('ZREMRANGEBYSCORE', key, '-inf', serverMsText) -- leases of calls never settled
      end
      used = leasesAfter(key, liveFrom)
      if not used then
        redis.call('DEL', key) -- another type, not written by this library: no slot, replaced
        used = 0
      end
      aux = 0
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
    local d = sd[i]
    local kind = lk[d]
    if kind == 'r' then
      setValue(key, rateValue(math.min(su[i] + sa[i], MAX_USED), sp[i], st[i], l4[d]))
    elseif kind == 'q' then
      setValue(key, quotaValue(math.min(su[i] + sa[i], MAX_USED), sw[i], sf[i]))
    else
      for slot = 1, sa[i] do
        redis.call('ZADD', key, leaseEnd, id .. ':' .. slot)
      end
      if not leased[key] then
        leased[key] = true
        leasedList[#leasedList + 1] = key
      end
    end
  end
  pending[id] = true
  addedHere[id] = true
  added[#added + 1] = id
  return 1
end

-- Frees the in-flight slots of a reservation that is no longer pending (settled before, or its
-- settlement window ended): a call that ended after its window must not hold its slot until its
-- lease ends. Removing a slot member that is gone already (settled before) changes nothing.
local function freeSlots(k, at, n)
  for i = 1, n do
    local a = at + (i - 1) * 4
    if lk[tonumber(ARGV[a])] == 'f' then
      redis.pcall('ZREM', KEYS[k + i - 1], ARGV[a + 2]) -- another type holds no lease
    end
  end
end

-- Settles one reservation once: applies each charge's delta (actual - reserved).
local function settleOne(k, at, n, id)
  for i = 1, n do
    local a = at + (i - 1) * 4
    local d = tonumber(ARGV[a])
    sd[i], sa[i], sw[i] = d, tonumber(ARGV[a + 1]), false
    if lk[d] == 'q' then
      local delta = sa[i]
      local from, to = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
      if nowMs >= from and nowMs < to then
        sw[i], sf[i] = from, to
      elseif delta > 0 then
        -- the reservation's window has ended: an extra charge lands in the current one
        local j
        j, from, to = windowOf(d)
        if not j then
          return 2
        end
        sw[i], sf[i] = from, to
      end
      -- else a refund to an ended window: dropped
    end
  end
  if not pending[id] then
    freeSlots(k, at, n) -- settled before, or its settlement window ended: the call has ended
    return 0
  end
  pending[id] = false
  if not addedHere[id] then
    settledIds[#settledIds + 1] = id
  end
  for i = 1, n do
    local key = KEYS[k + i - 1]
    local d = sd[i]
    local kind = lk[d]
    local delta = sa[i]
    if kind == 'r' then
      if delta ~= 0 then
        local u, p, t = rateOf(value[key])
        u, p, t = refill(u, p, t, l1[d], l2[d], l3[d])
        u = math.min(u + delta, MAX_USED)
        if u <= 0 then
          u, p = 0, 0
        end
        setValue(key, rateValue(u, p, t, l4[d]))
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
      redis.pcall('ZREM', key, ARGV[at + (i - 1) * 4 + 2]) -- another type holds no lease
    end
  end
  return 1
end

-- Cancels a reservation whose caller got no answer; see C above.
local function cancelOne(k, at, n, id)
  if not pending[id] then
    if not pendingScore[id] then
      cancelledIds[#cancelledIds + 1] = id -- not run yet: marked, so that it never runs
    end
    freeSlots(k, at, n) -- if it ran and its settlement window ended, its slots are freed too
    return 0
  end
  local ranAt = pendingScore[id] - tonumber(ARGV[2])
  for i = 1, n do
    local a = at + (i - 1) * 4
    local d = tonumber(ARGV[a])
    if lk[d] == 'q' then
      local from, to = 0, 0 -- none: the refund is dropped, as to an ended window
      if ranAt >= l1[d] and ranAt < l2[d] then
        from, to = l1[d], l2[d]
      elseif ranAt >= l2[d] and ranAt < l3[d] then
        from, to = l2[d], l3[d]
      elseif ranAt >= l3[d] and ranAt < l4[d] then
        from, to = l3[d], l4[d]
      end
      ARGV[a + 2], ARGV[a + 3] = from, to
    end
  end
  return settleOne(k, at, n, id)
end

-- The pending set's scores of ids (ZMSCORE, in chunks). A key of another type at the pending set
-- (not written by this library: another application, an operator) holds no id: it is deleted, so
-- that this batch's writes make the set anew, instead of WRONGTYPE refusing every batch of the
-- store (every reservation failing, every settlement dropped) until the key expires, if ever.
local function pendingScores(ids)
  local first = redis.pcall('ZMSCORE', pendingKey, unpack(ids, 1, math.min(CHUNK, #ids)))
  if first.err then
    redis.call('DEL', pendingKey)
    return {}
  end
  if #ids <= CHUNK then
    return first
  end
  local rest = {}
  for i = CHUNK + 1, #ids do
    rest[#rest + 1] = ids[i]
  end
  local more = callChunked('ZMSCORE', pendingKey, rest)
  for i = 1, #more do
    first[#first + 1] = more[i]
  end
  return first
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
  pendingScore, cancelled, cancelledIds = {}, {}, {}
  leased, leasedList = {}, {}
  local ops = tonumber(ARGV[3])
  local first = 6 -- ARGV index of the first limit description, then of the first operation
  for d = 1, tonumber(ARGV[5]) do
    local kind = ARGV[first]
    lk[d] = kind
    if kind ~= 'f' then
      l1[d], l2[d] = tonumber(ARGV[first + 1]), tonumber(ARGV[first + 2])
      l3[d], l4[d] = tonumber(ARGV[first + 3]), tonumber(ARGV[first + 4])
    end
    first = first + 5
  end

  -- Read first: every rate and quota counter of the batch (one MGET), whether each settled or
  -- cancelled reservation is still pending and whether a reservation was cancelled before it ran
  -- (one ZMSCORE).
  do
    local keys, ids = {}, {}
    local a, k = first, 2
    for _ = 1, ops do
      local op, n = ARGV[a], tonumber(ARGV[a + 2])
      local width = 3
      if op == 'R' then
        ids[#ids + 1] = '~' .. ARGV[a + 3]
      else
        width = 4
        ids[#ids + 1] = ARGV[a + 3]
      end
      for i = 1, n do
        local key = KEYS[k + i - 1]
        if lk[tonumber(ARGV[a + 4 + (i - 1) * width])] ~= 'f' and value[key] == nil then
          value[key] = false
          keys[#keys + 1] = key
        end
      end
      a = a + 4 + width * n
      k = k + n
    end
    if #keys > 0 then
      local values = callChunked('MGET', nil, keys)
      for i = 1, #keys do
        value[keys[i]] = values[i]
      end
    end
    if #ids > 0 then
      local scores = pendingScores(ids)
      for i = 1, #ids do
        local id, score = ids[i], scores[i] and tonumber(scores[i])
        if string.sub(id, 1, 1) == '~' then
          cancelled[string.sub(id, 2)] = score and score > serverMs
        else
          -- an id whose settlement window has ended counts as settled, removed or not
          pending[id] = score and score > serverMs or false
          pendingScore[id] = score
        end
      end
    end
  end

  local r = 0 -- the reply's length so far
  local a = first
  local k = 2
  for _ = 1, ops do
    local op, n, id = ARGV[a], tonumber(ARGV[a + 2]), ARGV[a + 3]
    setClock(ARGV[a + 1])
    if op == 'R' then
      local status = 0
      if cancelled[id] then
        for i = r + 3, r + 2 + 2 * n do
          result[i] = 0
        end
      else
        status = reserveOne(k, a + 4, n, id, r + 2)
      end
      result[r + 1] = status
      result[r + 2] = now
      if status == 2 then
        for i = r + 3, r + 2 + 2 * n do
          result[i] = 0
        end
      end
      r = r + 2 + 2 * n
      a = a + 4 + 3 * n
    else
      if op == 'C' then
        result[r + 1] = cancelOne(k, a + 4, n, id)
      else
        result[r + 1] = settleOne(k, a + 4, n, id)
      end
      result[r + 2] = now
      r = r + 2
      a = a + 4 + 4 * n
    end
    k = k + n
  end

  -- Then write: each changed counter once, the pending set's changes in one command each, and the
  -- expiry of each in-flight set given leases (a set a later settlement emptied is gone: no-op).
  for i = 1, #leasedList do
    redis.call('PEXPIRE', leasedList[i], leaseArg)
  end
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
    callChunked('DEL', nil, gone)
  end
  if #settledIds > 0 then
    callChunked('ZREM', pendingKey, settledIds)
  end
  local window = tonumber(ARGV[2])
  if upkeep then
    redis.pcall('ZREMRANGEBYSCORE', pendingKey, '-inf', serverMsText) -- another type: no id
  end
  if #added > 0 or #cancelledIds > 0 then
    local members = {}
    local ends = n2s(serverMs + window)
    for i = 1, #added do
      local id = added[i]
      if pending[id] then
        members[#members + 1] = ends
        members[#members + 1] = id
      end
    end
    for i = 1, #cancelledIds do
      members[#members + 1] = ends
      members[#members + 1] = '~' .. cancelledIds[i]
    end
    if #members > 0 then
      callChunked('ZADD', pendingKey, members)
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
