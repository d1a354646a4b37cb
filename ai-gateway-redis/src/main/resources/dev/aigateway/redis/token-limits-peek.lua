-- Reads counters without changing anything: no key is created, written, expired or extended, so
-- the function has the no-writes flag (Redis refuses it if it ever wrote; it runs on a replica).
-- Called as FCALL_RO <prefix>peek.
-- KEYS[i]: counter i.
-- ARGV: '' (no id), pinned time (µs, '' for the server's), counters n, then 5 per counter:
--   kind (r, q, f), a1 .. a4 (rate: q, r, b, unused; quota: four window boundaries; else unused).
-- Returns {status, now µs, then per counter: used, aux}; status 1 read, 2 no candidate window
-- holds the time (the JVM retries with windows around now). aux: a rate's progress, a quota's
-- window index, 0 for in-flight.
local function peek(keys, args)
  startCall(keys, args)
  setClock(ARGV[2]) -- the limit clock: the server's, or the time a test pinned
  local n = tonumber(ARGV[3])
  local result = {1, now}
  for i = 1, n do
    local key = KEYS[i]
    local at = 3 + (i - 1) * 5
    local kind = ARGV[at + 1]
    local used, aux
    if kind == 'r' then
      local u, p, t = rateOf(stringAt(key))
      u, p = refill(u, p, t, tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4]))
      used, aux = u, p
    elseif kind == 'q' then
      local j, from = findWindow(at + 2)
      if not j then
        return {2, now}
      end
      used, aux = quotaOf(stringAt(key), from), j
    else
      -- live leases only; ended ones are dropped by an upkeep batch, not here
      used, aux = leasesAfter(key, '(' .. n2s(serverMs)) or 0, 0
    end
    result[#result + 1] = used
    result[#result + 1] = aux
  end
  return result
end

redis.register_function{
  function_name = FUNCTION_PREFIX .. 'peek', callback = peek, flags = {'no-writes'}}
