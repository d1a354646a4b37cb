package dev.aigateway.redis;

import dev.aigateway.api.LedgerEntry;
import dev.aigateway.api.LogText;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LedgerRowsRefusedException;
import dev.aigateway.api.spi.LedgerSink;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A {@link LedgerSink} that adds each instance's usage to shared totals in Redis, so one report
 * covers every instance of an application.
 *
 * <pre>{@code
 * RedisLedgerSink totals = RedisLedgerSink.builder(redis).build();
 * UsageLedger ledger = UsageLedger.builder().priceTable(prices).sink(totals).build();
 * AiGateway gateway = AiGateway.builder().listener(ledger)...build();
 * scheduler.scheduleAtFixedRate(() -> { try { ledger.flush(); } catch (IOException e) { ... } },
 *     1, 1, TimeUnit.MINUTES);
 *
 * // on any instance, or in a reporting job:
 * List<LedgerEntry> today = totals.totals(QuotaPeriod.DAILY, Instant.parse("2026-11-24T00:00:00Z"));
 * }</pre>
 *
 * <p><b>Layout.</b> One Redis hash per (period, window start), {@code
 * <prefix>{ledger}:<PERIOD>:<window start>} (one Redis Cluster hash tag for all), with a field per
 * (column, consumer, model): {@code <column>|<length of consumer>:<consumer><model>}, or, when a
 * name is not well-formed UTF-16, {@code <column>|~<consumer>:<model>} in hex UTF-16 code units.
 * Counts are added with {@code HINCRBY}, so they are exact 64-bit integers. Costs are exact too:
 * each is kept as whole currency units and a fraction in units of 10<sup>-12</sup>, carried over in
 * the same script ({@code HINCRBYFLOAT} would round). A cost with more than twelve decimals is
 * rounded half even to twelve; prices per million tokens with up to six decimals never need it. A
 * row whose usage had no price makes that total's cost null for good, as in {@link LedgerEntry}.
 *
 * <p><b>All or nothing.</b> A {@code write} runs one Lua script: every row or none. (Redis does not
 * roll a script back when a command in it fails, so the script first checks everything its
 * increments could fail on, before any row is added: a window key of another type than hash, which
 * something else wrote, fails the write with an {@code IOException} naming it; so does a total the
 * write would take beyond 9&times;10<sup>18</sup>, which no real usage reaches, and a row whose
 * cost alone is beyond it, checked before anything is sent. A field of a row the write adds to that
 * does not hold a 64-bit integer, which only something else can have written, is replaced, its
 * value counting as absent; {@link #totals} reads such a field as absent too.)
 *
 * <p><b>Exactly once, across a retry.</b> A write that times out may still have been applied, and
 * the ledger hands the same rows over again, merged with newer usage. So every write carries a
 * fresh id, and the script sets a marker for it (kept {@link Builder#markerTimeToLive}). After a
 * failed write, the next one first resolves the failed one's marker in one atomic step: if it is
 * there, the failed rows were applied, and only the difference is written now; if not, a
 * "cancelled" marker is set, so the failed script does nothing should it still arrive. The sink
 * therefore assumes the ledger's discipline: after a failed write, the next write contains the
 * failed rows (summed with newer usage); a row that is smaller than the failed one was is written
 * as it is.
 *
 * <p><b>Retention.</b> Each window's hash expires a while after the window starts (default: hourly
 * windows after 7 days, daily after 400 days, the others never; see {@link Builder#retain}). Writes
 * are serial ({@code synchronized}); {@link #totals} may be called from any thread.
 */
public final class RedisLedgerSink implements LedgerSink {

  /** How long a write's marker is kept by default: longer than any retry of it could be late. */
  public static final Duration DEFAULT_MARKER_TIME_TO_LIVE = Duration.ofHours(24);

  private static final BigDecimal FRACTION = BigDecimal.ONE.movePointRight(12);

  /**
   * The most any total holds, 9&times;10<sup>18</sup> (the write script's {@code LIMIT}): a little
   * below a {@code long}'s bound, so that adding one more write to a total never overflows.
   */
  private static final long MAX_TOTAL = 9_000_000_000_000_000_000L;

  private static final BigDecimal MAX_COST = BigDecimal.valueOf(MAX_TOTAL);
  private static final String[] COUNTS = {"calls", "in", "cin", "out", "tot", "est"};

  private static final LuaScript RESOLVE =
      new LuaScript(
          """
          local v = redis.call('GET', KEYS[1])
          if v then
            return v
          end
          redis.call('SET', KEYS[1], 'cancelled', 'PX', ARGV[1])
          return 'cancelled'
          """,
          ScriptOutputType.VALUE);

  private static final LuaScript WRITE =
      new LuaScript(
          """
          if redis.call('EXISTS', KEYS[1]) == 1 then
            return 0
          end
          local F = 1000000000000
          local LIMIT = """
              + MAX_TOTAL
              + """

          local n = tonumber(ARGV[2])
          for k = 2, n + 1 do
            local t = redis.call('TYPE', KEYS[k])['ok']
            if t ~= 'hash' and t ~= 'none' then
              return redis.error_reply('WRONGTYPE ledger window ' .. KEYS[k] .. ' holds a ' .. t
                .. ', not a hash (something else wrote it): nothing was written')
            end
          end
          local cols = {'calls', 'in', 'cin', 'out', 'tot', 'est'}
          local replaced = {}
          local i = 3 + n
          while i <= #ARGV do
            local key = KEYS[tonumber(ARGV[i]) + 2]
            local row = '|' .. ARGV[i + 1]
            local fields, adds = {}, {}
            for c = 1, 6 do
              if ARGV[i + 1 + c] ~= '0' then
                fields[#fields + 1] = cols[c] .. row
                adds[#adds + 1] = math.abs(tonumber(ARGV[i + 1 + c]))
              end
            end
            for c = 0, 1 do
              local col = c == 0 and 'c' or 'e'
              local at = i + 8 + 3 * c
              if ARGV[at + 2] == '1' then
                fields[#fields + 1] = col .. '.u' .. row
                adds[#adds + 1] = math.abs(tonumber(ARGV[at])) + 1
                fields[#fields + 1] = col .. '.f' .. row
                adds[#adds + 1] = F
              end
            end
            if #fields > 0 then
              local values = redis.call('HMGET', key, unpack(fields))
              for j = 1, #fields do
                local v = values[j]
                if v then
                  local digits = string.match(v, '^%-?([1-9]%d*)$')
                  if v ~= '0' and (not digits or #digits > 19
                      or (#digits == 19 and digits > '9223372036854775807')) then
                    replaced[#replaced + 1] = key
                    replaced[#replaced + 1] = fields[j]
                  elseif math.abs(tonumber(v)) + adds[j] > LIMIT then
                    return redis.error_reply('ERR ledger total ' .. fields[j] .. ' in ' .. key
                      .. ' would pass 9e18: nothing was written')
                  end
                end
              end
            end
            i = i + 14
          end
          for j = 1, #replaced, 2 do
            redis.call('HDEL', replaced[j], replaced[j + 1])
          end
          i = 3 + n
          while i <= #ARGV do
            local key = KEYS[tonumber(ARGV[i]) + 2]
            local row = '|' .. ARGV[i + 1]
            for c = 1, 6 do
              if ARGV[i + 1 + c] ~= '0' then
                redis.call('HINCRBY', key, cols[c] .. row, ARGV[i + 1 + c])
              end
            end
            for c = 0, 1 do
              local col = c == 0 and 'c' or 'e'
              local at = i + 8 + 3 * c
              local state = ARGV[at + 2]
              if state == '1' then
                redis.call('HSET', key, col .. '.p' .. row, 1)
                if ARGV[at] ~= '0' then
                  redis.call('HINCRBY', key, col .. '.u' .. row, ARGV[at])
                end
                if ARGV[at + 1] ~= '0' then
                  local f = redis.call('HINCRBY', key, col .. '.f' .. row, ARGV[at + 1])
                  if f >= F then
                    redis.call('HINCRBY', key, col .. '.f' .. row, -F)
                    redis.call('HINCRBY', key, col .. '.u' .. row, 1)
                  end
                end
              elseif state == '2' then
                redis.call('HSET', key, col .. '.x' .. row, 1)
              end
            end
            i = i + 14
          end
          for k = 1, n do
            if ARGV[2 + k] ~= '0' then
              redis.call('PEXPIREAT', KEYS[k + 1], ARGV[2 + k])
            end
          end
          redis.call('SET', KEYS[1], 'done', 'PX', ARGV[1])
          return 1
          """,
          ScriptOutputType.INTEGER);

  private final RedisConnection redis;
  private final Map<QuotaPeriod, Duration> retain;
  private final Duration markerTimeToLive;

  /** Rows known to be persisted that the ledger will hand over again (after a failed write). */
  private final Map<RowKey, LedgerEntry> baseline = new LinkedHashMap<>();

  private @Nullable String pendingId;
  private Map<RowKey, LedgerEntry> pendingRows = Map.of();

  private RedisLedgerSink(Builder b) {
    this.redis = b.redis;
    this.retain = new EnumMap<>(b.retain);
    // Redis refuses an expiry near the end of its clock, after the script's increments ran
    this.markerTimeToLive = Settings.keptInRedis(b.markerTimeToLive);
  }

  /** A builder over {@code redis}, with the documented defaults. */
  public static Builder builder(RedisConnection redis) {
    return new Builder(redis);
  }

  /**
   * Adds the rows to the shared totals, all or none.
   *
   * @throws IOException when Redis did not confirm the write; the rows may or may not have been
   *     applied, and the next write finds out which before it adds anything
   */
  @Override
  public synchronized void write(List<LedgerEntry> entries) throws IOException {
    Objects.requireNonNull(entries, "entries");
    for (LedgerEntry entry : entries) {
      requireCostFits(entry, entry.cost());
      requireCostFits(entry, entry.estimatedCost());
    }
    try {
      if (pendingId != null) {
        byte[] outcome =
            RESOLVE.run(
                redis.bytes().sync(),
                new byte[][] {bytes(markerKey(pendingId))},
                LuaScript.arg(markerTimeToLive.toMillis()));
        if (outcome != null && "done".equals(new String(outcome, StandardCharsets.UTF_8))) {
          pendingRows.forEach((key, row) -> baseline.merge(key, row, RedisLedgerSink::sum));
        }
        pendingId = null;
        pendingRows = Map.of();
      }
    } catch (RedisException e) {
      throw new IOException("could not check the previous ledger write on " + redis + ": " + e, e);
    }
    Map<RowKey, LedgerEntry> rows = new LinkedHashMap<>();
    for (LedgerEntry entry : entries) {
      rows.merge(RowKey.of(entry), entry, RedisLedgerSink::sum);
    }
    Map<RowKey, LedgerEntry> delta = new LinkedHashMap<>();
    rows.forEach(
        (key, entry) -> {
          LedgerEntry row = minus(entry, baseline.get(key));
          if (!isZero(row)) {
            delta.put(key, row);
          }
        });
    if (delta.isEmpty()) {
      baseline.clear();
      return;
    }
    String id = UUID.randomUUID().toString();
    try {
      Long applied = WRITE.run(redis.bytes().sync(), keys(id, delta), args(delta));
      if (applied == null || applied != 1) {
        throw new IOException("ledger write " + id + " was cancelled before it ran");
      }
    } catch (RedisException e) {
      pendingId = id;
      pendingRows = delta;
      throw new IOException(
          "could not write " + delta.size() + " ledger rows to " + redis + ": " + e, e);
    }
    baseline.clear();
  }

  /**
   * Fails when {@code cost} is beyond what a total holds: its whole units would not fit the write
   * (a {@code long}) or would take the total past {@link #MAX_TOTAL} on their own. Checked before
   * anything is sent, so nothing is written.
   */
  private static void requireCostFits(LedgerEntry row, @Nullable BigDecimal cost)
      throws IOException {
    if (cost != null && cost.abs().compareTo(MAX_COST) > 0) {
      throw new LedgerRowsRefusedException(
          "ledger row of consumer "
              + LogText.of(row.consumer())
              + ", model "
              + LogText.of(row.model())
              + " in the "
              + row.period()
              + " window of "
              + row.periodStart()
              + ": cost "
              + cost.toPlainString()
              + " is beyond "
              + MAX_TOTAL
              + ", the most a total holds: nothing was written",
          List.of(row));
    }
  }

  /**
   * The shared totals of the {@code period} window that starts at {@code windowStart}, one row per
   * consumer and model, ordered by consumer and model; empty when nothing was written for it.
   * {@code windowStart} is the instant the ledger wrote as {@link LedgerEntry#periodStart()}.
   *
   * @throws IOException when Redis does not answer
   */
  public List<LedgerEntry> totals(QuotaPeriod period, Instant windowStart) throws IOException {
    Objects.requireNonNull(period, "period");
    Objects.requireNonNull(windowStart, "windowStart");
    Map<String, String> fields;
    try {
      fields = redis.strings().sync().hgetall(windowKey(period, windowStart));
    } catch (RedisException e) {
      throw new IOException("could not read ledger totals from " + redis + ": " + e, e);
    }
    Map<String, Map<String, String>> byRow = new TreeMap<>();
    fields.forEach(
        (field, value) -> {
          int bar = field.indexOf('|');
          if (bar > 0) {
            byRow
                .computeIfAbsent(field.substring(bar + 1), r -> new LinkedHashMap<>())
                .put(field.substring(0, bar), value);
          }
        });
    List<LedgerEntry> rows = new ArrayList<>(byRow.size());
    byRow.forEach(
        (row, columns) -> {
          String[] names = splitRow(row);
          if (names != null) {
            rows.add(
                new LedgerEntry(
                    windowStart,
                    period,
                    names[0],
                    names[1],
                    count(columns, "calls"),
                    count(columns, "in"),
                    count(columns, "cin"),
                    count(columns, "out"),
                    count(columns, "tot"),
                    count(columns, "est"),
                    cost(columns, "c"),
                    cost(columns, "e")));
          }
        });
    rows.sort(Comparator.comparing(LedgerEntry::consumer).thenComparing(LedgerEntry::model));
    return rows;
  }

  @Override
  public String toString() {
    return "RedisLedgerSink[" + redis + ", retain=" + retain + "]";
  }

  // ---------------------------------------------------------------- keys and arguments

  String windowKey(QuotaPeriod period, Instant windowStart) {
    return redis.key("{ledger}", period.name(), windowStart.toString());
  }

  private String markerKey(String id) {
    return redis.key("{ledger}", "write", id);
  }

  /** The marker, then the window hashes in the order their rows first appear. */
  private byte[][] keys(String id, Map<RowKey, LedgerEntry> delta) {
    List<byte[]> keys = new ArrayList<>();
    keys.add(bytes(markerKey(id)));
    for (String window : windows(delta).keySet()) {
      keys.add(bytes(window));
    }
    return keys.toArray(new byte[0][]);
  }

  /** Each window's key and when it expires (0: never), in the order of {@link #keys}. */
  private Map<String, Long> windows(Map<RowKey, LedgerEntry> delta) {
    Map<String, Long> windows = new LinkedHashMap<>();
    for (RowKey key : delta.keySet()) {
      Duration keep = retain.get(key.period());
      long expireAt = 0;
      if (keep != null) {
        try {
          expireAt = Math.max(1, key.start().plus(keep).toEpochMilli());
        } catch (ArithmeticException | java.time.DateTimeException beyond) {
          expireAt = 0;
        }
      }
      windows.putIfAbsent(windowKey(key.period(), key.start()), expireAt);
    }
    return windows;
  }

  private byte[][] args(Map<RowKey, LedgerEntry> delta) {
    Map<String, Long> windows = windows(delta);
    List<String> windowOrder = new ArrayList<>(windows.keySet());
    List<byte[]> args = new ArrayList<>();
    args.add(LuaScript.arg(markerTimeToLive.toMillis()));
    args.add(LuaScript.arg(windows.size()));
    for (long expireAt : windows.values()) {
      args.add(LuaScript.arg(expireAt));
    }
    for (Map.Entry<RowKey, LedgerEntry> e : delta.entrySet()) {
      RowKey key = e.getKey();
      LedgerEntry row = e.getValue();
      args.add(LuaScript.arg(windowOrder.indexOf(windowKey(key.period(), key.start()))));
      args.add(LuaScript.arg(rowField(key.consumer(), key.model())));
      for (long count :
          new long[] {
            row.calls(),
            row.inputTokens(),
            row.cachedInputTokens(),
            row.outputTokens(),
            row.totalTokens(),
            row.estimatedTokens()
          }) {
        args.add(LuaScript.arg(count));
      }
      costArgs(args, row.cost(), row.hasReportedTokens());
      costArgs(args, row.estimatedCost(), row.estimatedTokens() != 0);
    }
    return args.toArray(new byte[0][]);
  }

  /** Whole units, the fraction in 10^-12, and the state: 1 priced, 2 unpriced usage, 0 neither. */
  private static void costArgs(List<byte[]> args, @Nullable BigDecimal cost, boolean hasTokens) {
    if (cost == null) {
      args.add(LuaScript.arg(0));
      args.add(LuaScript.arg(0));
      args.add(LuaScript.arg(hasTokens ? 2 : 0));
      return;
    }
    BigInteger[] parts =
        cost.setScale(12, RoundingMode.HALF_EVEN)
            .unscaledValue()
            .divideAndRemainder(FRACTION.toBigIntegerExact());
    args.add(LuaScript.arg(parts[0].longValueExact()));
    args.add(LuaScript.arg(parts[1].longValueExact()));
    args.add(LuaScript.arg(1));
  }

  /**
   * The consumer and the model in one field part: the consumer's length, ':', both names. When
   * either is not well-formed UTF-16 (an unpaired surrogate, which UTF-8 carries as '?', so that
   * {@code "a\\ud800"} would count on the row of {@code "a?"}): '~', both as hex UTF-16 code units
   * with ':' between them; no other row starts with '~'.
   */
  static String rowField(String consumer, String model) {
    if (!Wire.wellFormed(consumer) || !Wire.wellFormed(model)) {
      StringBuilder field = new StringBuilder("~");
      Wire.hexUtf16(field, consumer).append(':');
      return Wire.hexUtf16(field, model).toString();
    }
    return consumer.length() + ":" + consumer + model;
  }

  private static String @Nullable [] splitRow(String row) {
    if (row.startsWith("~")) {
      int colon = row.indexOf(':');
      String consumer = colon < 0 ? null : Wire.fromHexUtf16(row.substring(1, colon));
      String model = colon < 0 ? null : Wire.fromHexUtf16(row.substring(colon + 1));
      return consumer == null || model == null ? null : new String[] {consumer, model};
    }
    int colon = row.indexOf(':');
    if (colon < 1) {
      return null;
    }
    try {
      int length = Integer.parseInt(row.substring(0, colon));
      int end = colon + 1 + length;
      if (length < 0 || end > row.length()) {
        return null;
      }
      return new String[] {row.substring(colon + 1, end), row.substring(end)};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** A count; a value that is not an integer (something else wrote it) reads as absent. */
  private static long count(Map<String, String> columns, String column) {
    String value = columns.get(column);
    if (value == null) {
      return 0;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException foreign) {
      return 0;
    }
  }

  private static @Nullable BigDecimal cost(Map<String, String> columns, String column) {
    if (columns.containsKey(column + ".x") || !columns.containsKey(column + ".p")) {
      return null;
    }
    BigDecimal whole = BigDecimal.valueOf(count(columns, column + ".u"));
    BigDecimal fraction = BigDecimal.valueOf(count(columns, column + ".f")).movePointLeft(12);
    BigDecimal sum = whole.add(fraction).stripTrailingZeros();
    return sum.scale() < 0 ? sum.setScale(0) : sum;
  }

  // ---------------------------------------------------------------- row arithmetic

  /** {@code row} less what is already persisted of it; {@code row} itself when it is smaller. */
  private static LedgerEntry minus(LedgerEntry row, @Nullable LedgerEntry done) {
    if (done == null
        || row.calls() < done.calls()
        || row.inputTokens() < done.inputTokens()
        || row.cachedInputTokens() < done.cachedInputTokens()
        || row.outputTokens() < done.outputTokens()
        || row.totalTokens() < done.totalTokens()
        || row.estimatedTokens() < done.estimatedTokens()) {
      return row;
    }
    return new LedgerEntry(
        row.periodStart(),
        row.period(),
        row.consumer(),
        row.model(),
        row.calls() - done.calls(),
        row.inputTokens() - done.inputTokens(),
        row.cachedInputTokens() - done.cachedInputTokens(),
        row.outputTokens() - done.outputTokens(),
        row.totalTokens() - done.totalTokens(),
        row.estimatedTokens() - done.estimatedTokens(),
        minus(row.cost(), done.cost()),
        minus(row.estimatedCost(), done.estimatedCost()));
  }

  private static @Nullable BigDecimal minus(@Nullable BigDecimal a, @Nullable BigDecimal b) {
    if (a == null) {
      return null; // the sum is unpriced: so is what is left of it
    }
    if (b == null) {
      return a;
    }
    BigDecimal d = a.subtract(b);
    return d.signum() < 0 ? a : d;
  }

  private static LedgerEntry sum(LedgerEntry a, LedgerEntry b) {
    return new LedgerEntry(
        a.periodStart(),
        a.period(),
        a.consumer(),
        a.model(),
        Math.addExact(a.calls(), b.calls()),
        Math.addExact(a.inputTokens(), b.inputTokens()),
        Math.addExact(a.cachedInputTokens(), b.cachedInputTokens()),
        Math.addExact(a.outputTokens(), b.outputTokens()),
        Math.addExact(a.totalTokens(), b.totalTokens()),
        Math.addExact(a.estimatedTokens(), b.estimatedTokens()),
        a.cost() == null || b.cost() == null ? null : a.cost().add(b.cost()),
        a.estimatedCost() == null || b.estimatedCost() == null
            ? null
            : a.estimatedCost().add(b.estimatedCost()));
  }

  private static boolean isZero(LedgerEntry row) {
    return row.calls() == 0
        && !row.hasReportedTokens()
        && row.estimatedTokens() == 0
        && (row.cost() == null || row.cost().signum() == 0)
        && (row.estimatedCost() == null || row.estimatedCost().signum() == 0);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A ledger row's identity. */
  private record RowKey(QuotaPeriod period, Instant start, String consumer, String model) {
    static RowKey of(LedgerEntry e) {
      return new RowKey(e.period(), e.periodStart(), e.consumer(), e.model());
    }
  }

  /** Configures a {@link RedisLedgerSink}; each setting is checked when it is set. */
  public static final class Builder {
    private final RedisConnection redis;
    private final Map<QuotaPeriod, Duration> retain = new EnumMap<>(QuotaPeriod.class);
    private Duration markerTimeToLive = DEFAULT_MARKER_TIME_TO_LIVE;

    private Builder(RedisConnection redis) {
      this.redis = Objects.requireNonNull(redis, "redis");
      retain.put(QuotaPeriod.HOURLY, Duration.ofDays(7));
      retain.put(QuotaPeriod.DAILY, Duration.ofDays(400));
    }

    /**
     * Keeps each {@code period} window's totals for {@code afterStart} after the window starts,
     * then lets Redis drop them; {@code null} keeps them until deleted. Defaults: hourly 7 days,
     * daily 400 days, weekly, monthly and yearly for good.
     */
    public Builder retain(QuotaPeriod period, @Nullable Duration afterStart) {
      Objects.requireNonNull(period, "period");
      if (afterStart == null) {
        retain.remove(period);
        return this;
      }
      if (afterStart.isNegative() || afterStart.isZero()) {
        throw new IllegalArgumentException(
            period + " retention must be positive but was " + afterStart);
      }
      retain.put(period, afterStart);
      return this;
    }

    /**
     * How long a write's marker is kept (default 24 hours): a retried write is counted once as long
     * as the retry comes within it. One beyond about 31,700 years (10<sup>15</sup> ms; {@code
     * ChronoUnit.FOREVER}'s, say) keeps markers that long.
     */
    public Builder markerTimeToLive(Duration markerTimeToLive) {
      Objects.requireNonNull(markerTimeToLive, "markerTimeToLive");
      if (markerTimeToLive.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException(
            "markerTimeToLive must be at least 1 s but was " + markerTimeToLive);
      }
      this.markerTimeToLive = markerTimeToLive;
      return this;
    }

    /** The sink; it shares {@code redis}'s connections. */
    public RedisLedgerSink build() {
      return new RedisLedgerSink(this);
    }
  }
}
