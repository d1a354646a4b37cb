-- Reserves every charge or none, in one step.
-- KEYS[1]: the reservation's pending marker; KEYS[1 + i]: counter i (distinct counters).
-- ARGV: id, pinned time (µs, '' for the server's), in-flight lease ms, marker ttl ms, counters n,
--   then 7 per counter: kind (r, q, f), amount, threshold (capacity - required), a1 .. a4
--   rate: q, r, b, µs per unit; quota: four window boundaries; in-flight: a1 = slots.
-- Returns {status, now µs, then per counter: used, aux}; status 1 admitted, 0 rejected, 2 no
-- candidate window holds the time (nothing changed; the JVM retries with windows around now).
-- aux: a rate's progress, a quota's window index, 0 for in-flight.
local id = ARGV[1]
local leaseMs = tonumber(ARGV[3])
local n = tonumber(ARGV[5])
local result = {1, now}
local states = {}
local windows = {}
local fits = true
for i = 1, n do
  local key = KEYS[1 + i]
  local at = 5 + (i - 1) * 7
  local kind = ARGV[at + 1]
  local threshold = tonumber(ARGV[at + 3])
  local used, aux
  if kind == 'r' then
    local s = readRate(key)
    refill(s, tonumber(ARGV[at + 4]), tonumber(ARGV[at + 5]), tonumber(ARGV[at + 6]))
    states[i] = s
    used, aux = s.u, s.p
  elseif kind == 'q' then
    local w = findWindow(at + 4)
    if not w then
      return {2, now}
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
  result[#result + 1] = used
  result[#result + 1] = aux
end
if not fits then
  result[1] = 0
  return result
end
for i = 1, n do
  local key = KEYS[1 + i]
  local at = 5 + (i - 1) * 7
  local kind = ARGV[at + 1]
  local amount = tonumber(ARGV[at + 2])
  if kind == 'r' then
    local s = states[i]
    s.u = math.min(s.u + amount, MAX_USED)
    writeRate(key, s, tonumber(ARGV[at + 7]))
  elseif kind == 'q' then
    local s = states[i]
    s.u = math.min(s.u + amount, MAX_USED)
    writeQuota(key, s, windows[i].start, windows[i].finish)
  else
    for k = 1, tonumber(ARGV[at + 4]) do
      redis.call('ZADD', key, n2s(serverMs + leaseMs), id .. ':' .. k)
    end
    redis.call('PEXPIRE', key, n2s(leaseMs))
  end
end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[4])
return result
