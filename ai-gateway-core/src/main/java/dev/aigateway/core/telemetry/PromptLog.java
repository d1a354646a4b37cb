package dev.aigateway.core.telemetry;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.LogText;
import dev.aigateway.core.wire.Json;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opt-in logging of prompts and completions: one JSON line per call (or per part, see below) at
 * INFO on a dedicated SLF4J logger ({@value #LOGGER_NAME} unless {@link Builder#logger} is set),
 * for the consumers and models it is configured for.
 *
 * <pre>{@code
 * PromptLog prompts = PromptLog.builder()
 *     .consumers("team-a")                 // default: every consumer
 *     .models("gpt-4o")                    // default: every model
 *     .sampleRate(0.1)                     // one call in ten
 *     .redaction(Redaction.defaults())     // the default
 *     .build();
 * }</pre>
 *
 * <p>A record holds {@code call_id, started_at, consumer, operation, model, response_model,
 * backend, stream, status, outcome, input_tokens, output_tokens, total_tokens, usage_estimated,
 * cache (with a response cache: its outcome; a hit has a null completion, since no backend produced
 * one for it), request, completion, part, parts}. The names ({@code consumer}, {@code model},
 * {@code response_model}, {@code backend}) come from callers and backends and are written as the
 * call log writes them ({@link LogText}: control, line-separator and text direction characters
 * escaped, each cut at {@value LogText#MAX_CHARS} characters), after the redaction. The completion
 * of a call answered with several choices ({@code n}, Gemini's {@code candidateCount}) holds each
 * choice's text whole, in the order of their indexes, a blank line between two, however a stream
 * interleaved their chunks. The {@link Redaction} runs over the request, the completion and every
 * other text field before anything is written; over a request given as JSON (as the gateway gives
 * it: the body's content fields) it runs on each of its strings as the application wrote it (so a
 * secret at the start of a line, which JSON writes after {@code \n}, is found as anywhere else),
 * then on the JSON text whole. A request or completion longer than {@link Builder#maxPartBytes}
 * (UTF-8) is never cut: it is split on code-point boundaries into numbered parts, one record per
 * part ({@code part} from 1 to {@code parts}, each with all the call's fields), and concatenating
 * the parts' {@code request} (or {@code completion}) values in order gives the whole text; a record
 * whose part holds no piece of a text has it null.
 *
 * <p>{@link #log} never blocks and never throws: it hands the call to a bounded queue (at most
 * {@link Builder#queueCapacity} calls holding at most {@link Builder#maxQueuedBytes} of text), and
 * one writer (a daemon thread unless {@link Builder#executor} is set) redacts, formats and writes.
 * When the queue is full the call is dropped and counted in {@link #dropped()}; the writer then
 * logs one WARN after the call it is writing, at most once a minute. Thread-safe.
 */
public final class PromptLog implements AutoCloseable {

  /** The logger records go to unless {@link Builder#logger} is set. */
  public static final String LOGGER_NAME = "dev.aigateway.prompts";

  /** The default largest request or completion piece in one record: 32 KiB of UTF-8. */
  public static final int DEFAULT_MAX_PART_BYTES = 32 * 1024;

  /** The default number of calls waiting to be written before further calls are dropped. */
  public static final int DEFAULT_QUEUE_CAPACITY = 1024;

  /**
   * The default bound on the text of the calls waiting to be written: 64 MiB, each character
   * counted as two bytes (as a Java string may hold it).
   */
  public static final long DEFAULT_MAX_QUEUED_BYTES = 64L << 20;

  /** The default share of wanted calls that is logged: all of them. */
  public static final double DEFAULT_SAMPLE_RATE = 1.0;

  /** What a text field holds when the redaction threw on it; the text itself is never written. */
  public static final String REDACTION_FAILED = "[redaction failed]";

  /** The smallest part size: one code point takes up to four UTF-8 bytes. */
  private static final int MIN_PART_BYTES = 4;

  /** How deep the strings of a JSON request are redacted one by one (beyond: as text only). */
  private static final int MAX_REDACTED_DEPTH = 256;

  private static final Duration DROP_WARNING_INTERVAL = Duration.ofMinutes(1);
  private static final String WRITER_THREAD_NAME = "ai-gateway-prompt-log";

  private final Set<String> consumers;
  private final Set<String> models;
  private final double sampleRate;
  private final int maxPartBytes;
  private final Redaction redaction;
  private final Logger logger;
  private final int queueCapacity;
  private final long maxQueuedBytes;
  private final Executor executor;
  private final ExecutorService ownedExecutor;
  private final Clock clock;

  private final BlockingQueue<Entry> queue;
  private final AtomicBoolean draining = new AtomicBoolean();
  private final LongAdder dropped = new LongAdder();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final Object idle = new Object();
  private volatile boolean closed;
  // Touched only by the writer, which the draining flag keeps single.
  private long reportedDrops;
  private long lastDropWarningMillis = Long.MIN_VALUE;

  private PromptLog(Builder b) {
    this.consumers = Set.copyOf(b.consumers);
    this.models = Set.copyOf(b.models);
    this.sampleRate = b.sampleRate;
    this.maxPartBytes = b.maxPartBytes;
    this.redaction = b.redaction;
    this.logger = b.logger != null ? b.logger : LoggerFactory.getLogger(LOGGER_NAME);
    this.queueCapacity = b.queueCapacity;
    this.maxQueuedBytes = b.maxQueuedBytes;
    this.clock = b.clock;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownedExecutor = null;
    } else {
      ThreadPoolExecutor writer =
          new ThreadPoolExecutor(
              1,
              1,
              60,
              TimeUnit.SECONDS,
              new LinkedBlockingQueue<>(),
              task -> {
                Thread t = new Thread(task, WRITER_THREAD_NAME);
                t.setDaemon(true);
                return t;
              });
      writer.allowCoreThreadTimeOut(true);
      this.executor = writer;
      this.ownedExecutor = writer;
    }
  }

  /** A builder with the defaults: every consumer and model, every call, default redaction. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Whether a call's request and completion should be captured and {@link #log logged}: its
   * consumer and requested model pass the filters, its id is sampled, and the logger writes INFO.
   * Sampling depends only on the call id and is monotonic: a call sampled at one rate is sampled at
   * every higher rate. False once the log is closed. Never throws.
   */
  public boolean wants(String consumer, String model, long callId) {
    try {
      return !closed
          && (consumers.isEmpty() || consumers.contains(consumer))
          && (models.isEmpty() || models.contains(model))
          && (sampleRate >= 1.0 || sampleValue(callId) < sampleRate)
          && logger.isInfoEnabled();
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Queues the call's record(s) for writing, if the call is {@link #wants wanted} (so calls after
   * {@link #close} are ignored). Never blocks, never throws: when the queue is full the call is
   * counted in {@link #dropped()} instead.
   *
   * @param event the ended call
   * @param requestContent the request's messages (or body) as text; may be null
   * @param completion the completion, assembled from the chunks for streams (several choices' texts
   *     each whole, in index order, a blank line between two); may be null
   */
  public void log(
      GatewayEvent event, @Nullable String requestContent, @Nullable String completion) {
    try {
      if (event == null || !wants(event.consumer(), event.requestedModel(), event.callId())) {
        return;
      }
      long bytes = 2L * ((long) length(requestContent) + length(completion));
      if (closed || !reserve(bytes)) {
        dropped.increment();
        return;
      }
      if (!queue.offer(new Entry(event, requestContent, completion, bytes))) {
        queuedBytes.addAndGet(-bytes);
        dropped.increment();
        return;
      }
      if (draining.compareAndSet(false, true)) {
        try {
          executor.execute(this::drain);
        } catch (RuntimeException e) {
          abandonQueue();
        }
      }
    } catch (Throwable e) {
      dropped.increment(); // logging must never fail a call, but the loss is counted
    }
  }

  /** Takes room for {@code bytes} of text in the queue; false when they do not fit. */
  private boolean reserve(long bytes) {
    long held;
    do {
      held = queuedBytes.get();
      if (bytes > maxQueuedBytes - held) {
        return false;
      }
    } while (!queuedBytes.compareAndSet(held, held + bytes));
    return true;
  }

  /**
   * The wanted calls not written since the log was built: the queue was full (of calls or of text),
   * or queueing or writing failed (for example the logger threw).
   */
  public long dropped() {
    return dropped.sum();
  }

  /**
   * Waits until every call queued so far has been written, or dropped (a writer the executor
   * refused gives up the queue, counted in {@link #dropped()}), at most {@code timeout}.
   *
   * @return true when the queue is drained, false on timeout
   */
  public boolean flush(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (idle) {
      while (draining.get() || !queue.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(idle, left);
      }
    }
    return true;
  }

  /**
   * Stops accepting calls; those already queued are still written (call {@link #flush} first to
   * wait for them). The default writer thread ends; a supplied executor is left running.
   */
  @Override
  public void close() {
    closed = true;
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
    }
  }

  @Override
  public String toString() {
    return "PromptLog{logger="
        + logger.getName()
        + (consumers.isEmpty() ? "" : ", consumers=" + consumers)
        + (models.isEmpty() ? "" : ", models=" + models)
        + ", sampleRate="
        + sampleRate
        + ", maxPartBytes="
        + maxPartBytes
        + ", queueCapacity="
        + queueCapacity
        + ", maxQueuedBytes="
        + maxQueuedBytes
        + ", "
        + redaction
        + "}";
  }

  /** A uniform value in [0, 1) for a call id (the SplitMix64 finalizer). */
  static double sampleValue(long callId) {
    long z = callId + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return (z >>> 11) * 0x1.0p-53;
  }

  /**
   * Splits text into pieces of at most {@code maxBytes} UTF-8 bytes, never inside a code point.
   * Null gives one null piece, so a record still says there was no text.
   */
  static List<@Nullable String> parts(@Nullable String text, int maxBytes) {
    if (text == null || text.length() <= maxBytes / 3) { // no char takes more than 3 bytes
      return Collections.singletonList(text);
    }
    List<String> parts = new ArrayList<>();
    int start = 0;
    int bytes = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + size > maxBytes) {
        parts.add(text.substring(start, i));
        start = i;
        bytes = 0;
      }
      bytes += size;
      i += Character.charCount(cp);
    }
    parts.add(text.substring(start));
    return parts;
  }

  /** Writes queued calls until the queue is empty; only one drain runs at a time. */
  private void drain() {
    do {
      for (Entry entry; (entry = queue.poll()) != null; ) {
        try {
          write(entry);
        } catch (Throwable e) {
          dropped.increment();
        } finally {
          queuedBytes.addAndGet(-entry.bytes);
        }
        // After each call, not only once the queue is empty: a logger slower than the calls
        // keeps the queue from ever emptying while calls are being dropped.
        warnOfDrops();
      }
      warnOfDrops(); // drops of calls that were never queued (too much text) since the last
      draining.set(false);
      synchronized (idle) {
        idle.notifyAll();
      }
      // A call queued after the last poll but before the flag dropped found it still set.
    } while (!queue.isEmpty() && draining.compareAndSet(false, true));
  }

  /** The writer could not be started (executor shut down or rejecting): count what is waiting. */
  private void abandonQueue() {
    for (Entry entry; (entry = queue.poll()) != null; ) {
      queuedBytes.addAndGet(-entry.bytes);
      dropped.increment();
    }
    draining.set(false);
    synchronized (idle) {
      idle.notifyAll(); // a flush waiting for these calls has nothing left to wait for
    }
  }

  private void warnOfDrops() {
    try {
      long total = dropped.sum();
      if (total == reportedDrops) {
        return; // the common case: one sum, no clock read
      }
      long now = clock.millis();
      if ((lastDropWarningMillis != Long.MIN_VALUE
          && now - lastDropWarningMillis < DROP_WARNING_INTERVAL.toMillis())) {
        return;
      }
      lastDropWarningMillis = now;
      long fresh = total - reportedDrops;
      reportedDrops = total;
      if (logger.isWarnEnabled()) {
        logger.warn(
            "ai-gateway prompt log dropped {} call(s) ({} in all): the queue of {} was"
                + " full or the logger failed",
            fresh,
            total,
            queueCapacity);
      }
    } catch (Throwable e) {
      // The logger is failing; the drops stay counted.
    }
  }

  private void write(Entry entry) throws IOException {
    if (!logger.isInfoEnabled()) {
      return;
    }
    GatewayEvent e = entry.event;
    List<String> request = parts(redactRequest(entry.request), maxPartBytes);
    List<String> completion = parts(redactSafely(entry.completion), maxPartBytes);
    int count = Math.max(request.size(), completion.size());
    Fields fields =
        new Fields(
            name(e.consumer()),
            name(e.requestedModel()),
            name(e.responseModel()),
            name(e.routing().backendId()));
    for (int i = 0; i < count; i++) {
      logger.info(
          record(
              e,
              fields,
              i < request.size() ? request.get(i) : null,
              i < completion.size() ? completion.get(i) : null,
              i + 1,
              count));
    }
  }

  /**
   * The request redacted: when it is JSON (as the gateway logs a request's content fields), each of
   * its strings first, as the application wrote it, then its JSON text as a whole (which also masks
   * a secret written as a member, {@code "api_key":"..."}). JSON writes a line break or a tab in a
   * string as {@code \n} or {@code \t}, which glues the escape's letter to what follows it: a key
   * on a line of its own ({@code sk-...}), a {@code Bearer} token after a tab, or a pattern that
   * starts at a word boundary would not be found in the JSON text alone.
   */
  private String redactRequest(String request) {
    JsonNode tree = jsonContainer(request);
    if (tree == null) {
      return redactSafely(request);
    }
    try {
      redactStrings(tree, 0);
    } catch (Throwable e) {
      return REDACTION_FAILED;
    }
    return redactSafely(tree.toString());
  }

  /** The request parsed, when it is a JSON object or array; else null. */
  private static @Nullable JsonNode jsonContainer(@Nullable String text) {
    if (text == null) {
      return null;
    }
    int i = 0;
    while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
      i++;
    }
    if (i == text.length() || (text.charAt(i) != '{' && text.charAt(i) != '[')) {
      return null;
    }
    try {
      JsonNode tree = Json.MAPPER.readTree(text);
      return tree != null && tree.isContainerNode() ? tree : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Replaces every string of a JSON tree with its redaction (member names are kept). */
  private void redactStrings(JsonNode node, int depth) {
    if (depth > MAX_REDACTED_DEPTH) {
      return; // deeper strings are still masked by the pass over the whole text
    }
    if (node instanceof ObjectNode object) {
      List<String> names = new ArrayList<>(object.size());
      object.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        JsonNode value = object.get(name);
        if (value.isTextual()) {
          object.put(name, redaction.redact(value.textValue()));
        } else {
          redactStrings(value, depth + 1);
        }
      }
    } else if (node instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        JsonNode value = array.get(i);
        if (value.isTextual()) {
          array.set(i, redaction.redact(value.textValue()));
        } else {
          redactStrings(value, depth + 1);
        }
      }
    }
  }

  /**
   * A name of the call (consumer, model, backend) as the call log writes it: redacted, then escaped
   * and cut by {@link LogText} (after the redaction, so that a cut cannot split a secret and hide
   * it from the pattern that would mask it).
   */
  private @Nullable String name(@Nullable String name) {
    return name == null ? null : LogText.append(new StringBuilder(), redactSafely(name)).toString();
  }

  private String redactSafely(String text) {
    try {
      return redaction.redact(text);
    } catch (Throwable e) {
      return REDACTION_FAILED;
    }
  }

  private static String record(
      GatewayEvent e, Fields f, String request, String completion, int part, int parts)
      throws IOException {
    StringWriter out = new StringWriter(384 + length(request) + length(completion));
    try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("call_id", e.callId());
      g.writeStringField("started_at", e.timing().startedAt().toString());
      g.writeStringField("consumer", f.consumer);
      g.writeStringField("operation", e.operation().conventionName());
      g.writeStringField("model", f.model);
      g.writeStringField("response_model", f.responseModel);
      g.writeStringField("backend", f.backend);
      g.writeBooleanField("stream", e.stream());
      g.writeNumberField("status", e.status());
      g.writeStringField("outcome", e.outcome().name());
      g.writeNumberField("input_tokens", e.usage().tokens().inputTokens());
      g.writeNumberField("output_tokens", e.usage().tokens().outputTokens());
      g.writeNumberField("total_tokens", e.usage().tokens().totalTokens());
      g.writeBooleanField("usage_estimated", e.usage().estimated());
      if (e.cache().outcome() != dev.aigateway.api.CacheOutcome.NONE) {
        g.writeStringField("cache", e.cache().outcome().label());
      }
      g.writeStringField("request", request);
      g.writeStringField("completion", completion);
      g.writeNumberField("part", part);
      g.writeNumberField("parts", parts);
      g.writeEndObject();
    }
    return out.toString();
  }

  private static int length(String s) {
    return s == null ? 0 : s.length();
  }

  private record Entry(GatewayEvent event, String request, String completion, long bytes) {}

  /** The event's text fields, redacted once for all of a call's parts. */
  private record Fields(String consumer, String model, String responseModel, String backend) {}

  /** The consumers whose calls are logged; empty: every consumer. */
  public Set<String> consumers() {
    return consumers;
  }

  /** Builds a {@link PromptLog}; fails fast on bad values. */
  public static final class Builder {
    private final Set<String> consumers = new LinkedHashSet<>();
    private final Set<String> models = new LinkedHashSet<>();
    private double sampleRate = DEFAULT_SAMPLE_RATE;
    private int maxPartBytes = DEFAULT_MAX_PART_BYTES;
    private Redaction redaction = Redaction.defaults();
    private Logger logger;
    private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
    private long maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;
    private Executor executor;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * Logs only calls of these consumers (default: every consumer). Ids are read trimmed, as the
     * consumer key resolvers give them. A consumer is only resolved with a consumer key or a caller
     * resolver that proves one: without either, the gateway refuses to be built with a prompt log
     * only for consumers other than {@code anonymous}.
     */
    public Builder consumers(String... consumerIds) {
      for (String id : consumerIds) {
        consumers.add(requireText(id, "consumer id").strip());
      }
      return this;
    }

    /** Logs only calls that request these models (default: every model). */
    public Builder models(String... modelNames) {
      for (String model : modelNames) {
        models.add(requireText(model, "model"));
      }
      return this;
    }

    /** The share of wanted calls to log, from 0 (none) to 1 (all, the default), by call id. */
    public Builder sampleRate(double rate) {
      if (!(rate >= 0.0 && rate <= 1.0)) {
        throw new IllegalArgumentException("sample rate must be within [0, 1] but was " + rate);
      }
      this.sampleRate = rate;
      return this;
    }

    /**
     * The most UTF-8 bytes of request, and of completion, in one record (default 32 KiB); longer
     * texts are split into numbered parts.
     */
    public Builder maxPartBytes(int bytes) {
      if (bytes < MIN_PART_BYTES) {
        throw new IllegalArgumentException(
            "max part bytes must be >= "
                + MIN_PART_BYTES
                + " (one UTF-8 code point) but was "
                + bytes);
      }
      this.maxPartBytes = bytes;
      return this;
    }

    /** What is masked before writing (default {@link Redaction#defaults()}). */
    public Builder redaction(Redaction redaction) {
      this.redaction = Objects.requireNonNull(redaction, "redaction");
      return this;
    }

    /** Builds and sets the redaction; see {@link #redaction(Redaction)}. */
    public Builder redaction(Redaction.Builder redaction) {
      return redaction(redaction.build());
    }

    /** The logger to write to (default: logger {@value PromptLog#LOGGER_NAME}). */
    public Builder logger(Logger logger) {
      this.logger = Objects.requireNonNull(logger, "logger");
      return this;
    }

    /** How many calls may wait to be written before further calls are dropped (default 1024). */
    public Builder queueCapacity(int calls) {
      if (calls < 1) {
        throw new IllegalArgumentException("queue capacity must be >= 1 but was " + calls);
      }
      this.queueCapacity = calls;
      return this;
    }

    /**
     * How much text the calls waiting to be written may hold in all (default {@value
     * PromptLog#DEFAULT_MAX_QUEUED_BYTES} bytes, 64 MiB), each character of a request and a
     * completion counted as two bytes; a call whose texts do not fit is dropped and counted, as
     * when the queue is full. Bounds the log's memory when a slow logger meets large prompts.
     */
    public Builder maxQueuedBytes(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("max queued bytes must be >= 1 but was " + bytes);
      }
      this.maxQueuedBytes = bytes;
      return this;
    }

    /**
     * Runs the writer on this executor instead of the log's own daemon thread; it is given at most
     * one task at a time. {@code Runnable::run} writes on the calling thread, for tests.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** The clock that spaces the dropped-calls warnings (tests). */
    Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public PromptLog build() {
      return new PromptLog(this);
    }

    private static String requireText(String value, String what) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(what + " must be non-blank but was '" + value + "'");
      }
      return value;
    }
  }
}
