-- Settles a reservation once: applies each charge's delta (actual - reserved).
-- KEYS[1]: the pending marker; KEYS[1 + i]: charge i's counter.
-- ARGV: id, pinned time (µs or ''), charges n, then 8 per charge: kind, delta, x1 .. x6
--   rate: q, r, b, µs per unit; quota: reserved window start, end (ms), then four candidate
--   boundaries around now; in-flight: x1 = the slot member.
-- Returns {status, now µs}: 1 applied, 0 settled before (or the marker expired), 2 no candidate
-- window holds the time (nothing changed; the JVM retries with windows around now).
local n = tonumber(ARGV[3])
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {0, now}
end
local windows = {}
for i = 1, n do
  local at = 3 + (i - 1) * 8
  if ARGV[at + 1] == 'q' then
    local delta = tonumber(ARGV[at + 2])
    local from, to = tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
    if nowMs >= from and nowMs < to then
      windows[i] = {start = from, finish = to}
    elseif delta > 0 then
      -- the reservation's window has ended: an extra charge lands in the current one
      local w = findWindow(at + 5)
      if not w then
        return {2, now}
      end
      windows[i] = w
    end
    -- else a refund to an ended window: dropped
  end
end
redis.call('DEL', KEYS[1])
for i = 1, n do
  local key = KEYS[1 + i]
  local at = 3 + (i - 1) * 8
  local kind = ARGV[at + 1]
  local delta = tonumber(ARGV[at + 2])
  if kind == 'r' then
    if delta ~= 0 then
      local s = readRate(key)
      refill(s, tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4]), tonumber(ARGV[at + 5]))
      s.u = math.min(s.u + delta, MAX_USED)
      if s.u <= 0 then
        s.u = 0
        s.p = 0
      end
      writeRate(key, s, tonumber(ARGV[at + 6]))
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
    redis.call('ZREM', key, ARGV[at + 3])
  end
end
return {1, now}
