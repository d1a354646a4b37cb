package dev.aigateway.core.telemetry;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.LedgerEntry;
import dev.aigateway.api.LogText;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LedgerRowsRefusedException;
import dev.aigateway.api.spi.LedgerSink;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process ledger of token usage and cost by consumer, model and calendar window (hour, day,
 * month), fed by the gateway's events. Register it as a listener, query it, export it, and flush it
 * to a {@link LedgerSink} to persist it.
 *
 * <pre>{@code
 * UsageLedger ledger = UsageLedger.builder()
 *     .priceTable(PriceTable.builder()
 *         .modelPrefix("gpt-4o", Price.perMillion("2.50", "1.25", "10.00")).build())
 *     .zone(ZoneId.of("Europe/Berlin"))              // windows align here; default UTC
 *     .sink(myDatabaseSink)                           // optional
 *     .build();
 * AiGateway gateway = AiGateway.builder().listener(ledger)...build();
 *
 * Map<String, LedgerEntry> teamA = ledger.byModel("team-a", QuotaPeriod.MONTHLY, Instant.now());
 * LedgerEntry total = ledger.total("team-a", QuotaPeriod.MONTHLY, Instant.now());
 * ledger.writeCsv(writer);
 * scheduler.scheduleAtFixedRate(() -> { try { ledger.flush(); } catch (IOException e) { ... } },
 *     1, 1, TimeUnit.MINUTES);
 * }</pre>
 *
 * <p><b>What it counts.</b> Each event counts once in its hourly, daily and monthly row, keyed by
 * its consumer and its model (the model the backend named, else the one requested, else {@value
 * #UNKNOWN_MODEL}), in the window that contains {@link dev.aigateway.api.TimingInfo#startedAt()}.
 * Usage the backend reported goes into the token columns; usage the gateway estimated goes into
 * {@link LedgerEntry#estimatedTokens()} and {@link LedgerEntry#estimatedCost()} only. Rejected and
 * failed calls count as calls and add no tokens. Cost comes from the optional {@link PriceTable}
 * (the response model's price, else the requested model's); it is exact and never rounded.
 *
 * <p><b>Concurrency.</b> Each row is an immutable tally replaced atomically ({@link
 * ConcurrentHashMap#merge}), so totals, costs included, are exact under any number of threads.
 * Recording never throws into the call: a failure (a counter overflowing a long) is logged.
 *
 * <p><b>Bounded memory.</b> The ledger keeps the latest {@value #DEFAULT_HOURLY_WINDOWS} hourly,
 * {@value #DEFAULT_DAILY_WINDOWS} daily and {@value #DEFAULT_MONTHLY_WINDOWS} monthly windows,
 * counted back from the newest event seen (see {@link Builder#retain}); older rows are dropped from
 * memory, at most once an hour, on the thread of the event that opens a new hour. An event for a
 * dropped window still reaches the sink but no longer appears in queries. Rows of a sink not yet
 * flushed are held until the next flush, so flush regularly when a sink is configured.
 *
 * <p><b>Bounded models.</b> Model names come from requests, so a caller could name a new model on
 * every call (each one refused by the backend, each one counted as a call). A consumer's window
 * keeps at most {@value #DEFAULT_MAX_MODELS} model rows by default ({@link
 * Builder#maxModelsPerConsumer}); later models of that consumer and window count in the row of
 * model {@value #OTHER_MODELS}, with one warning per ledger, so the window's totals stay exact. A
 * model name longer than {@value #MAX_MODEL_LENGTH} characters always counts there too.
 *
 * <p><b>Bounded consumers.</b> Consumers come from requests too (a header the consumer key reads),
 * so a caller could name a new consumer on every call, each one a row kept for as long as its
 * window (two years for a monthly one). A window keeps at most {@value #DEFAULT_MAX_CONSUMERS}
 * consumers by default ({@link Builder#maxConsumersPerWindow}); the calls of later consumers in
 * that window count under consumer {@value #OTHER_CONSUMERS} (by model, bounded as any consumer's),
 * with one warning per ledger, so the window's totals stay exact.
 */
public final class UsageLedger implements GatewayListener {

  /** The model of rows for calls that named no model and got none back. */
  public static final String UNKNOWN_MODEL = "unknown";

  /** The model of rows that total every model ({@link #total}, {@link #byConsumer}). */
  public static final String ALL_MODELS = "*";

  /**
   * The model of rows that hold a consumer's usage of models beyond {@link
   * Builder#maxModelsPerConsumer} in one window, and of models whose names are longer than {@value
   * #MAX_MODEL_LENGTH} characters.
   */
  public static final String OTHER_MODELS = "other";

  /**
   * The consumer of rows that hold the usage of consumers beyond {@link
   * Builder#maxConsumersPerWindow} in one window.
   */
  public static final String OTHER_CONSUMERS = "other";

  /** Consumers a window keeps by default before later consumers count as other. */
  public static final int DEFAULT_MAX_CONSUMERS = 10_000;

  /** Model rows a consumer's window keeps by default before later models count as other. */
  public static final int DEFAULT_MAX_MODELS = 256;

  /** The longest model name a row is kept under; longer names count as {@value #OTHER_MODELS}. */
  public static final int MAX_MODEL_LENGTH = 256;

  /** Hourly windows kept by default: two days. */
  public static final int DEFAULT_HOURLY_WINDOWS = 48;

  /** Daily windows kept by default: about two months. */
  public static final int DEFAULT_DAILY_WINDOWS = 62;

  /** Monthly windows kept by default: two years. */
  public static final int DEFAULT_MONTHLY_WINDOWS = 24;

  /** The periods the ledger keeps rows for, in row order. */
  static final List<QuotaPeriod> PERIODS =
      List.of(QuotaPeriod.HOURLY, QuotaPeriod.DAILY, QuotaPeriod.MONTHLY);

  private static final Logger LOG = LoggerFactory.getLogger(UsageLedger.class);

  private final PriceTable prices;
  private final ZoneId zone;
  private final LedgerSink sink;
  private final Map<QuotaPeriod, Integer> retain;
  private final int maxModels;
  private final int maxConsumers;
  private final ConcurrentHashMap<RowKey, UsageTotals> rows = new ConcurrentHashMap<>();

  /**
   * How many model rows each consumer's window holds, keyed by that window's {@value #ALL_MODELS}
   * row key; a row is only ever made while its window's count is locked, so the bound is exact.
   */
  private final ConcurrentHashMap<RowKey, ModelCount> modelCounts = new ConcurrentHashMap<>();

  /**
   * How many consumers each window holds, keyed by the window's period and start (consumer and
   * model empty); a consumer's {@link #modelCounts} entry is only ever made while its window's
   * count is locked (but {@value #OTHER_CONSUMERS}'s, which takes no slot), so the bound is exact.
   */
  private final ConcurrentHashMap<RowKey, ConsumerCount> consumerCounts = new ConcurrentHashMap<>();

  private final AtomicBoolean warnedOfModels = new AtomicBoolean();
  private final AtomicBoolean warnedOfConsumers = new AtomicBoolean();
  private final ConcurrentHashMap<RowKey, UsageTotals>
      unflushed; // deltas for the sink; null without
  private final AtomicReference<Instant> newestHour = new AtomicReference<>(Instant.MIN);
  private volatile Map<QuotaPeriod, Instant> cutoffs; // rows before these are dropped
  private final Object pruneLock = new Object();
  private final ReentrantLock flushLock = new ReentrantLock();
  private final LongAdder refusedRows = new LongAdder();

  /**
   * Runs once a call's record has read the cut-offs, before it adds its rows: null but where a test
   * in this package set it on the builder ({@link Builder#afterCutoffsRead}) to interleave a prune
   * there, which threads could reach only by chance.
   */
  private final @Nullable Runnable afterCutoffsRead;

  private UsageLedger(Builder b) {
    this.prices = b.prices;
    this.zone = b.zone == null ? ZoneOffset.UTC : b.zone;
    this.sink = b.sink;
    this.retain = Collections.unmodifiableMap(new EnumMap<>(b.retain));
    this.maxModels = b.maxModels;
    this.maxConsumers = b.maxConsumers;
    this.afterCutoffsRead = b.afterCutoffsRead;
    this.unflushed = sink == null ? null : new ConcurrentHashMap<>();
    Map<QuotaPeriod, Instant> none = new EnumMap<>(QuotaPeriod.class);
    PERIODS.forEach(p -> none.put(p, Instant.MIN));
    this.cutoffs = none;
  }

  /** A builder: no prices, UTC windows, no sink, the default retention. */
  public static Builder builder() {
    return new Builder();
  }

  /** Records one call in its hourly, daily and monthly rows. Never throws: failures are logged. */
  @Override
  public void onEvent(GatewayEvent event) {
    try {
      record(event);
    } catch (RuntimeException e) {
      LOG.warn(
          "ai-gateway: usage ledger could not record call {} of consumer {}",
          event == null ? null : event.callId(),
          event == null ? null : LogText.of(event.consumer()),
          e);
    }
  }

  private void record(GatewayEvent event) {
    if (event.tool().kind() != dev.aigateway.api.ToolCallInfo.Kind.NONE) {
      return; // MCP and A2A calls use no tokens: the ledger totals LLM usage only
    }
    Instant at = event.timing().startedAt();
    String model = modelOf(event);
    UsageTotals delta = UsageTotals.of(event, priceOf(event));
    advance(at);
    Map<QuotaPeriod, Instant> cut = cutoffs;
    Runnable hook = afterCutoffsRead;
    if (hook != null) {
      hook.run();
    }
    for (QuotaPeriod period : PERIODS) {
      RowKey key = new RowKey(period, period.windowStart(at, zone), event.consumer(), model);
      if (!key.start().isBefore(cut.get(period))) {
        key = add(key, delta);
        // A prune that set later cut-offs after they were read above may have swept the rows
        // before this merge: whichever comes last, it or this check, drops the row.
        if (key.start().isBefore(cutoffs.get(period))) {
          rows.remove(key);
        }
      }
      if (unflushed != null) {
        unflushed.merge(key, delta, UsageTotals::plus);
      }
    }
  }

  private static String modelOf(GatewayEvent event) {
    String model =
        event.responseModel() != null
            ? event.responseModel()
            : event.requestedModel() != null ? event.requestedModel() : UNKNOWN_MODEL;
    return model.length() > MAX_MODEL_LENGTH ? OTHER_MODELS : model;
  }

  /**
   * Adds {@code delta} to the row of {@code key}, or to its window's {@value #OTHER_MODELS} row
   * when the row is new and its consumer's window holds its {@link #maxModels} models already, and
   * to consumer {@value #OTHER_CONSUMERS}'s rows when the consumer is new to a window that holds
   * {@link #maxConsumers} consumers already; returns the key of the row it added to.
   */
  private RowKey add(RowKey key, UsageTotals delta) {
    if (rows.computeIfPresent(key, (k, old) -> old.plus(delta)) != null) {
      return key; // the common case: a row that exists
    }
    ModelCount count = modelCount(key);
    if (count == null) { // a consumer beyond the window's bound
      if (!warnedOfConsumers.getAndSet(true)) {
        LOG.warn(
            "ai-gateway: usage ledger: more than {} consumers called in one {} window; the usage"
                + " of further consumers counts under consumer '{}' (UsageLedger.Builder"
                + ".maxConsumersPerWindow)",
            maxConsumers,
            key.period(),
            OTHER_CONSUMERS);
      }
      key = new RowKey(key.period(), key.start(), OTHER_CONSUMERS, key.model());
      if (rows.computeIfPresent(key, (k, old) -> old.plus(delta)) != null) {
        return key;
      }
      count = modelCount(key);
    }
    synchronized (count) {
      if (key.model().equals(OTHER_MODELS) || count.rows < maxModels) {
        if (rows.merge(key, delta, UsageTotals::plus) == delta
            && !key.model().equals(OTHER_MODELS)) {
          count.rows++; // this call made the row (merge returns the value it put)
        }
        return key;
      }
    }
    if (!warnedOfModels.getAndSet(true)) {
      LOG.warn(
          "ai-gateway: usage ledger: consumer {} used more than {} models in one {} window; the"
              + " usage of further models counts under model '{}' (UsageLedger.Builder"
              + ".maxModelsPerConsumer)",
          LogText.of(key.consumer()),
          maxModels,
          key.period(),
          OTHER_MODELS);
    }
    RowKey other = new RowKey(key.period(), key.start(), key.consumer(), OTHER_MODELS);
    rows.merge(other, delta, UsageTotals::plus);
    return other;
  }

  /**
   * The count of model rows of {@code key}'s consumer in {@code key}'s window; made when the
   * consumer is new to the window, which takes one of the window's {@link #maxConsumers} slots
   * (consumer {@value #OTHER_CONSUMERS} takes none). Null when the window has no slot left.
   */
  private @Nullable ModelCount modelCount(RowKey key) {
    RowKey consumerWindow = new RowKey(key.period(), key.start(), key.consumer(), ALL_MODELS);
    ModelCount count = modelCounts.get(consumerWindow);
    if (count != null) {
      return count;
    }
    if (key.consumer().equals(OTHER_CONSUMERS)) {
      return modelCounts.computeIfAbsent(consumerWindow, w -> new ModelCount());
    }
    ConsumerCount window =
        consumerCounts.computeIfAbsent(
            new RowKey(key.period(), key.start(), "", ""), w -> new ConsumerCount());
    synchronized (window) {
      count = modelCounts.get(consumerWindow);
      if (count == null) {
        if (window.consumers >= maxConsumers) {
          return null;
        }
        count = new ModelCount();
        modelCounts.put(consumerWindow, count);
        window.consumers++;
      }
      return count;
    }
  }

  /** A window's count of consumers; guarded by its own lock. */
  private static final class ConsumerCount {
    int consumers;
  }

  /** A consumer's window's count of model rows; guarded by its own lock. */
  private static final class ModelCount {
    int rows;
  }

  private Price priceOf(GatewayEvent event) {
    if (prices == null) {
      return null;
    }
    return prices
        .price(event.responseModel())
        .or(() -> prices.price(event.requestedModel()))
        .orElse(null);
  }

  // ---------------------------------------------------------------- queries

  /** Every row held, ordered by period (hourly first), window start, consumer and model. */
  public List<LedgerEntry> entries() {
    return snapshot(key -> true);
  }

  /**
   * The rows of the {@code period} window that contains {@code at}, every consumer and model,
   * ordered by consumer and model.
   */
  public List<LedgerEntry> usage(QuotaPeriod period, Instant at) {
    Instant start = windowStart(period, at);
    return snapshot(key -> key.period() == period && key.start().equals(start));
  }

  /**
   * One consumer's rows of the {@code period} window containing {@code at}, by model (sorted). For
   * example this month's usage of {@code team-a}: {@code ledger.byModel("team-a",
   * QuotaPeriod.MONTHLY, Instant.now())}.
   */
  public Map<String, LedgerEntry> byModel(String consumer, QuotaPeriod period, Instant at) {
    Objects.requireNonNull(consumer, "consumer");
    Instant start = windowStart(period, at);
    Map<String, LedgerEntry> byModel = new LinkedHashMap<>();
    for (LedgerEntry e :
        snapshot(
            key ->
                key.period() == period
                    && key.start().equals(start)
                    && key.consumer().equals(consumer))) {
      byModel.put(e.model(), e);
    }
    return Collections.unmodifiableMap(byModel);
  }

  /**
   * Every consumer's total over all models (model {@value #ALL_MODELS}) in the {@code period}
   * window containing {@code at}, by consumer (sorted).
   */
  public Map<String, LedgerEntry> byConsumer(QuotaPeriod period, Instant at) {
    Instant start = windowStart(period, at);
    Map<String, UsageTotals> sums = new TreeMap<>();
    for (LedgerEntry e : usage(period, at)) {
      sums.merge(e.consumer(), UsageTotals.of(e), UsageTotals::plus);
    }
    Map<String, LedgerEntry> byConsumer = new LinkedHashMap<>();
    sums.forEach(
        (consumer, tally) ->
            byConsumer.put(
                consumer, tally.toEntry(new RowKey(period, start, consumer, ALL_MODELS))));
    return Collections.unmodifiableMap(byConsumer);
  }

  /**
   * One consumer's total over all models (model {@value #ALL_MODELS}) in the {@code period} window
   * containing {@code at}; a row of zeros (and no cost) when nothing was recorded. Its cost is null
   * when some of the usage had no price.
   */
  public LedgerEntry total(String consumer, QuotaPeriod period, Instant at) {
    Objects.requireNonNull(consumer, "consumer");
    RowKey key = new RowKey(period, windowStart(period, at), consumer, ALL_MODELS);
    UsageTotals sum = new UsageTotals(0, 0, 0, 0, 0, 0, null, false, null, false);
    for (LedgerEntry e : byModel(consumer, period, at).values()) {
      sum = sum.plus(UsageTotals.of(e));
    }
    return sum.toEntry(key);
  }

  private Instant windowStart(QuotaPeriod period, Instant at) {
    Objects.requireNonNull(period, "period");
    Objects.requireNonNull(at, "at");
    if (!PERIODS.contains(period)) {
      throw new IllegalArgumentException("the ledger keeps " + PERIODS + " rows, not " + period);
    }
    return period.windowStart(at, zone);
  }

  private List<LedgerEntry> snapshot(Predicate<RowKey> which) {
    Map<RowKey, UsageTotals> sorted = new TreeMap<>();
    rows.forEach(
        (key, tally) -> {
          if (which.test(key)) {
            sorted.put(key, tally);
          }
        });
    List<LedgerEntry> list = new ArrayList<>(sorted.size());
    sorted.forEach((key, tally) -> list.add(tally.toEntry(key)));
    return list;
  }

  // ---------------------------------------------------------------- sink

  /**
   * Hands the usage recorded since the previous successful flush to the sink, one delta row per
   * (period, window, consumer, model), and returns how many rows it wrote. Flushes are serial. When
   * the sink throws (an exception or an error), the rows are kept and handed over again with the
   * next flush. When it refuses some rows for good ({@link LedgerRowsRefusedException}), those rows
   * are left out, each logged at WARN with its counts and counted in {@link #refusedRows()}, and
   * the others are handed over again at once, so one row the sink cannot hold never holds back the
   * rest. Does nothing (returns 0) without a sink or when nothing was recorded.
   *
   * @throws IOException what the sink threw (but a refusal of some of the rows)
   */
  public int flush() throws IOException {
    if (unflushed == null) {
      return 0;
    }
    flushLock.lock();
    try {
      Map<RowKey, UsageTotals> drained = new TreeMap<>();
      for (RowKey key : unflushed.keySet()) {
        UsageTotals tally = unflushed.remove(key); // atomic: later usage starts a new delta
        if (tally != null) {
          // merge, not put: a key re-added while the map resizes may be iterated twice
          drained.merge(key, tally, UsageTotals::plus);
        }
      }
      while (!drained.isEmpty()) {
        List<LedgerEntry> entries = new ArrayList<>(drained.size());
        drained.forEach((key, tally) -> entries.add(tally.toEntry(key)));
        try {
          sink.write(Collections.unmodifiableList(entries));
          return entries.size();
        } catch (LedgerRowsRefusedException e) {
          if (!setAside(drained, e)) {
            drained.forEach((key, tally) -> unflushed.merge(key, tally, UsageTotals::plus));
            throw e;
          }
        } catch (IOException | RuntimeException | Error e) {
          // Whatever the sink threw (an error such as a driver's missing class too), its rows are
          // kept for the next flush: they are removed from the ledger's deltas only once written.
          drained.forEach((key, tally) -> unflushed.merge(key, tally, UsageTotals::plus));
          throw e;
        }
      }
      return 0;
    } finally {
      flushLock.unlock();
    }
  }

  /**
   * Takes the rows the sink refused out of {@code drained}, logging each; false when it named none
   * of them (then nothing is taken out, and the write counts as failed).
   */
  private boolean setAside(Map<RowKey, UsageTotals> drained, LedgerRowsRefusedException refusal) {
    boolean any = false;
    for (LedgerEntry row : refusal.refused()) {
      RowKey key = new RowKey(row.period(), row.periodStart(), row.consumer(), row.model());
      UsageTotals tally = drained.remove(key);
      if (tally == null) {
        continue;
      }
      any = true;
      refusedRows.increment();
      LedgerEntry lost = tally.toEntry(key);
      LOG.warn(
          "ai-gateway: usage ledger: the sink refused the {} row of {} for consumer {}, model {}"
              + " ({} calls, {} tokens, {} estimated tokens, cost {}, estimated cost {}); it is"
              + " left out of the sink, the other rows are written: {}",
          key.period(),
          key.start(),
          LogText.of(key.consumer()),
          LogText.of(key.model()),
          lost.calls(),
          lost.totalTokens(),
          lost.estimatedTokens(),
          lost.cost(),
          lost.estimatedCost(),
          LogText.of(refusal.getMessage()));
    }
    return any;
  }

  /**
   * How many rows the sink refused for good ({@link LedgerRowsRefusedException}) since the ledger
   * was built; each was logged at WARN with its counts and left out of the sink (the ledger's own
   * rows and queries still count it).
   */
  public long refusedRows() {
    return refusedRows.sum();
  }

  // ---------------------------------------------------------------- retention

  /** Moves the newest hour forward; when it moved, drops the windows that fell out. */
  private void advance(Instant at) {
    Instant hour = QuotaPeriod.HOURLY.windowStart(at, zone);
    Instant newest = newestHour.get();
    if (hour.isAfter(newest) && newestHour.compareAndSet(newest, hour)) {
      prune();
    }
  }

  private void prune() {
    synchronized (pruneLock) {
      Instant newest = newestHour.get();
      Map<QuotaPeriod, Instant> cut = new EnumMap<>(QuotaPeriod.class);
      for (QuotaPeriod period : PERIODS) {
        cut.put(period, cutoff(period, newest, retain.get(period)));
      }
      cutoffs = cut;
      rows.keySet().removeIf(key -> key.start().isBefore(cut.get(key.period())));
      modelCounts.keySet().removeIf(key -> key.start().isBefore(cut.get(key.period())));
      consumerCounts.keySet().removeIf(key -> key.start().isBefore(cut.get(key.period())));
    }
  }

  /**
   * The start of the oldest of the latest {@code windows} windows, counted back from {@code at}.
   */
  private Instant cutoff(QuotaPeriod period, Instant at, int windows) {
    if (windows == Integer.MAX_VALUE) {
      return Instant.MIN;
    }
    ZonedDateTime start = period.windowStart(at, zone).atZone(zone);
    long back = windows - 1L;
    try {
      ZonedDateTime oldest =
          switch (period) {
            case HOURLY -> start.minusHours(back);
            case DAILY -> start.minusDays(back);
            case MONTHLY -> start.minusMonths(back);
            default -> throw new IllegalStateException("no retention for " + period);
          };
      return period.windowStart(oldest.toInstant(), zone);
    } catch (DateTimeException | ArithmeticException e) { // beyond the time-line: keep all
      return Instant.MIN;
    }
  }

  // ---------------------------------------------------------------- export

  /** Writes every row held as CSV (see {@link #writeCsv(Collection, Writer)}). */
  public void writeCsv(Writer out) throws IOException {
    writeCsv(entries(), out);
  }

  /**
   * Writes rows as CSV (RFC 4180): the header line {@code
   * period,period_start,consumer,model,calls,input_tokens,cached_input_tokens,
   * output_tokens,total_tokens,estimated_tokens,cost,estimated_cost}, then a record per row (CRLF
   * line ends). Names with commas, quotes, line breaks or surrounding spaces are quoted; windows
   * are ISO-8601 instants; costs are plain decimals, empty when null. The writer is flushed, not
   * closed. {@link #readCsv} reads it back to equal rows.
   *
   * <p>Callers choose consumer and model names (a header, the model a request names), so a name a
   * spreadsheet would take for a formula (one starting with {@code =}, {@code +}, {@code -},
   * {@code @}, a tab or a carriage return) is written after an apostrophe, which makes the cell
   * text; so is a name starting with an apostrophe. {@link #readCsv} takes the apostrophe off
   * again.
   */
  public static void writeCsv(Collection<LedgerEntry> entries, Writer out) throws IOException {
    LedgerCsv.write(Objects.requireNonNull(entries, "entries"), Objects.requireNonNull(out, "out"));
  }

  /**
   * Reads rows written by {@link #writeCsv(Collection, Writer)}; CRLF, LF or CR line ends, an
   * optional byte-order mark; a consumer or model name's first apostrophe is the writer's mark of
   * text and is taken off. The reader is not closed.
   *
   * @throws IOException when the text is not a ledger CSV; the message names the line
   */
  public static List<LedgerEntry> readCsv(Reader in) throws IOException {
    return LedgerCsv.read(Objects.requireNonNull(in, "in"));
  }

  /** Writes every row held as JSON (see {@link #writeJson(Collection, Writer)}). */
  public void writeJson(Writer out) throws IOException {
    writeJson(entries(), out);
  }

  /**
   * Writes rows as a JSON array of objects whose members are named like {@link LedgerEntry}'s
   * components; {@code periodStart} is an ISO-8601 string and costs are decimal strings (exact in
   * every JSON reader) or null. The writer is flushed, not closed. {@link #readJson} reads it back
   * to equal rows.
   */
  public static void writeJson(Collection<LedgerEntry> entries, Writer out) throws IOException {
    LedgerJson.write(
        Objects.requireNonNull(entries, "entries"), Objects.requireNonNull(out, "out"));
  }

  /**
   * Reads rows written by {@link #writeJson(Collection, Writer)} (a cost may also be a JSON number;
   * it is read exactly). The reader is not closed.
   *
   * @throws IOException when the text is not a ledger JSON array; the message names the row
   */
  public static List<LedgerEntry> readJson(Reader in) throws IOException {
    return LedgerJson.read(Objects.requireNonNull(in, "in"));
  }

  @Override
  public String toString() {
    return "UsageLedger{zone="
        + zone
        + ", rows="
        + rows.size()
        + ", retain="
        + retain
        + (prices == null ? "" : ", " + prices)
        + (sink == null ? "" : ", sink=" + sink)
        + "}";
  }

  /** Builds a {@link UsageLedger}; fails fast on bad or repeated settings. */
  public static final class Builder {
    private PriceTable prices;
    private ZoneId zone;
    private LedgerSink sink;
    private @Nullable Runnable afterCutoffsRead;
    private final Map<QuotaPeriod, Integer> retain = new EnumMap<>(QuotaPeriod.class);
    private int maxModels = DEFAULT_MAX_MODELS;
    private int maxConsumers = DEFAULT_MAX_CONSUMERS;

    private Builder() {
      retain.put(QuotaPeriod.HOURLY, DEFAULT_HOURLY_WINDOWS);
      retain.put(QuotaPeriod.DAILY, DEFAULT_DAILY_WINDOWS);
      retain.put(QuotaPeriod.MONTHLY, DEFAULT_MONTHLY_WINDOWS);
    }

    /** Prices usage with this table (default: none, so every cost is null). */
    public Builder priceTable(PriceTable prices) {
      this.prices = Objects.requireNonNull(prices, "prices");
      return this;
    }

    /** Builds and sets the price table; see {@link #priceTable(PriceTable)}. */
    public Builder priceTable(PriceTable.Builder prices) {
      return priceTable(prices.build());
    }

    /** The zone hourly, daily and monthly windows align in (default UTC). */
    public Builder zone(ZoneId zone) {
      this.zone = Objects.requireNonNull(zone, "zone");
      return this;
    }

    /** Where {@link UsageLedger#flush()} writes (default: none). */
    public Builder sink(LedgerSink sink) {
      this.sink = Objects.requireNonNull(sink, "sink");
      return this;
    }

    /**
     * Keeps the latest {@code windows} windows of {@code period} in memory, the newest event's
     * window included (defaults: {@value UsageLedger#DEFAULT_HOURLY_WINDOWS} hourly, {@value
     * UsageLedger#DEFAULT_DAILY_WINDOWS} daily, {@value UsageLedger#DEFAULT_MONTHLY_WINDOWS}
     * monthly). {@link Integer#MAX_VALUE} keeps every window, which lets memory grow with time.
     *
     * @param period {@link QuotaPeriod#HOURLY}, {@link QuotaPeriod#DAILY} or {@link
     *     QuotaPeriod#MONTHLY}
     * @param windows at least 1
     */
    public Builder retain(QuotaPeriod period, int windows) {
      Objects.requireNonNull(period, "period");
      if (!PERIODS.contains(period)) {
        throw new IllegalArgumentException("the ledger keeps " + PERIODS + " rows, not " + period);
      }
      if (windows < 1) {
        throw new IllegalArgumentException(
            period + " windows to retain must be >= 1 but was " + windows);
      }
      retain.put(period, windows);
      return this;
    }

    /**
     * Keeps at most {@code models} model rows per consumer and window (default {@value
     * UsageLedger#DEFAULT_MAX_MODELS}); the usage of further models of that consumer and window
     * counts in its {@value UsageLedger#OTHER_MODELS} row (which takes no slot), so totals stay
     * exact while memory stays bounded. {@link Integer#MAX_VALUE} keeps every model apart, which
     * lets a caller grow the ledger by naming a new model on every call.
     *
     * @param models at least 1
     */
    public Builder maxModelsPerConsumer(int models) {
      if (models < 1) {
        throw new IllegalArgumentException("models per consumer must be >= 1 but was " + models);
      }
      this.maxModels = models;
      return this;
    }

    /**
     * Keeps at most {@code consumers} consumers per window (default {@value
     * UsageLedger#DEFAULT_MAX_CONSUMERS}); the usage of further consumers in that window counts in
     * consumer {@value UsageLedger#OTHER_CONSUMERS}'s rows (which take no slot), so totals stay
     * exact while memory stays bounded. {@link Integer#MAX_VALUE} keeps every consumer apart, which
     * lets a caller that picks its consumer id (a header the consumer key reads) grow the ledger by
     * naming a new consumer on every call.
     *
     * @param consumers at least 1
     */
    public Builder maxConsumersPerWindow(int consumers) {
      if (consumers < 1) {
        throw new IllegalArgumentException(
            "consumers per window must be >= 1 but was " + consumers);
      }
      this.maxConsumers = consumers;
      return this;
    }

    /**
     * Runs {@code hook} in each record between reading the cut-offs and adding rows; tests only.
     */
    Builder afterCutoffsRead(Runnable hook) {
      this.afterCutoffsRead = Objects.requireNonNull(hook, "hook");
      return this;
    }

    /** Builds the ledger. */
    public UsageLedger build() {
      return new UsageLedger(this);
    }
  }
}
