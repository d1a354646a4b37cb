package dev.aigateway.core.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.Usage;
import dev.aigateway.core.wire.Json;
import dev.aigateway.core.wire.ResponseReadout;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * The Responses API background responses ({@code "background": true}) a gateway's calls were
 * answered {@code queued} or {@code in_progress}, whose usage is still to come: each call's
 * reservation stays open and its event unsent until the application polls the response through a
 * wrapped client ({@code GET …/responses/{id}}, or {@code POST …/responses/{id}/cancel}) and the
 * answer is terminal ({@code completed}, {@code incomplete}, {@code failed}, {@code cancelled}).
 * The call is then settled on the usage that answer reports (a response that failed or was
 * cancelled without usage: its prompt estimate and no output), and its one event is sent; polls
 * that are not terminal change nothing, and polls of other ids pass through ungoverned.
 *
 * <p>Bounded: at most {@code maxPending} calls wait (a background call answered when as many wait
 * is settled at once on its whole allowance, as if it were not kept), each for at most {@code
 * timeToLive}, after which it is settled on its whole allowance (prompt estimate plus output
 * allowance, {@code ESTIMATED}), with its event: by a timer (one daemon thread for every gateway,
 * made when the first call is kept) as its time is up, or by the gateway's next governed call, or
 * the next poll, after it (checked at most once a second), on that call's thread, whichever comes
 * first; {@link #settleAll()} settles every waiting call so at once (an application's shutdown).
 * Each call is settled exactly once, however many threads poll it at once. A waiting call holds
 * what its event needs, its request (body included) too: besides {@code maxPending}, the bodies of
 * the calls that wait are bounded to {@code maxBodyBytes} in all (a call whose body would go beyond
 * it is settled at once on its whole allowance, as past {@code maxPending}).
 *
 * <p>Only polls through a client this gateway wraps are seen, and only a poll answered 2xx with the
 * whole JSON document (read to its end, or closed once whole); a streamed poll ({@code
 * ?stream=true}), a webhook, or a poll through another client or another process leaves the call to
 * expire.
 *
 * <p>Thread-safe. For client adapters; applications configure it with {@link
 * dev.aigateway.core.AiGateway.Builder#backgroundResponses(int, long, Duration)}.
 */
public final class BackgroundResponses {

  /** The most background calls that wait for their usage at once, by default. */
  public static final int DEFAULT_MAX_PENDING = 1_000;

  /** How long a background call waits for a terminal poll, by default. */
  public static final Duration DEFAULT_TIME_TO_LIVE = Duration.ofHours(1);

  /** The most request-body bytes the calls that wait hold in all, by default: 64 MiB. */
  public static final long DEFAULT_MAX_BODY_BYTES = 64L << 20;

  /** How often, at most, expired calls are looked for. */
  private static final long SWEEP_INTERVAL_MILLIS = 1_000;

  private static final String RESPONSES = "/responses/";
  private static final String CANCEL = "/cancel";

  private final ConcurrentHashMap<String, Waiting> waiting = new ConcurrentHashMap<>();

  /** How many calls wait (or are about to): bounds {@link #waiting} strictly. */
  private final AtomicInteger count = new AtomicInteger();

  /** The request-body bytes the calls in {@link #waiting} hold (or are about to). */
  private final AtomicLong keptBytes = new AtomicLong();

  private final int maxPending;
  private final long maxBodyBytes;
  private final long timeToLiveMillis;
  private final Clock clock;
  private final AtomicLong nextSweep;

  /** A call that waits, and the timer task that settles it when its time is up. */
  private static final class Waiting {
    final GovernedCall call;
    final long expiresAtMillis;
    final long bodyBytes;

    /** The timer's task for this call ({@link Expiry}); null until scheduled. */
    volatile @Nullable Future<?> timer;

    Waiting(GovernedCall call, long expiresAtMillis, long bodyBytes) {
      this.call = call;
      this.expiresAtMillis = expiresAtMillis;
      this.bodyBytes = bodyBytes;
    }

    /** The call no longer waits: its timer task, if any, is dropped. */
    void stopTimer() {
      Future<?> task = timer;
      if (task != null) {
        task.cancel(false);
      }
    }
  }

  /**
   * The one timer of every gateway's background calls: a daemon thread, made when the first call is
   * kept, that settles each call whose time is up, so that an application that makes no other call
   * after it still gets its event and its reservation settled. A task is dropped when its call is
   * settled otherwise (a poll, {@link #settleAll}, a sweep).
   */
  private static final class Expiry {
    static final ScheduledThreadPoolExecutor TIMER = timer();

    /** How long after a call's time is up its task runs, so that the gateway's clock agrees. */
    static final long MARGIN_MILLIS = 20;

    private static ScheduledThreadPoolExecutor timer() {
      ScheduledThreadPoolExecutor timer =
          new ScheduledThreadPoolExecutor(
              1,
              task -> {
                Thread thread = new Thread(task, "ai-gateway-background-responses");
                thread.setDaemon(true);
                return thread;
              });
      timer.setRemoveOnCancelPolicy(true);
      return timer;
    }
  }

  /**
   * @param maxPending the most calls that wait at once; 0 keeps none (every background call is
   *     settled on its whole allowance when answered)
   * @param maxBodyBytes the most request-body bytes the calls that wait hold in all
   * @param timeToLive how long a call waits for a terminal poll, positive
   * @param clock the gateway's clock
   */
  public BackgroundResponses(int maxPending, long maxBodyBytes, Duration timeToLive, Clock clock) {
    checkBounds(maxPending, maxBodyBytes, timeToLive);
    this.maxPending = maxPending;
    this.maxBodyBytes = maxBodyBytes;
    // Saturated: a time to live beyond a long of milliseconds (ChronoUnit.FOREVER's) is "until
    // polled, settled or shut down".
    this.timeToLiveMillis = TimeUnit.MILLISECONDS.convert(timeToLive);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.nextSweep = new AtomicLong(clock.millis() + SWEEP_INTERVAL_MILLIS);
  }

  /**
   * Checks the bounds {@link #BackgroundResponses(int, long, Duration, Clock)} takes.
   *
   * @throws IllegalArgumentException if {@code maxPending} or {@code maxBodyBytes} is negative, or
   *     {@code timeToLive} is not positive
   */
  public static void checkBounds(int maxPending, long maxBodyBytes, Duration timeToLive) {
    if (maxPending < 0) {
      throw new IllegalArgumentException("maxPending must be >= 0 but was " + maxPending);
    }
    if (maxBodyBytes < 0) {
      throw new IllegalArgumentException("maxBodyBytes must be >= 0 but was " + maxBodyBytes);
    }
    Objects.requireNonNull(timeToLive, "timeToLive");
    if (timeToLive.isNegative() || timeToLive.isZero()) {
      throw new IllegalArgumentException("timeToLive must be positive but was " + timeToLive);
    }
  }

  /** How many background calls wait for their usage now. */
  public int size() {
    return count.get();
  }

  /**
   * The response id a request polls, when it is a {@code GET} of {@code …/responses/{id}} or a
   * {@code POST} to {@code …/responses/{id}/cancel} (an encoded path, without its query); else
   * null. Makes no string for any other request.
   */
  public static @Nullable String polledId(String method, String encodedPath) {
    boolean get = "GET".equals(method);
    if (!get && !"POST".equals(method)) {
      return null;
    }
    int end = encodedPath.length();
    if (!get) {
      if (!encodedPath.endsWith(CANCEL)) {
        return null;
      }
      end -= CANCEL.length();
    }
    int at = encodedPath.lastIndexOf(RESPONSES, end - 1);
    if (at < 0) {
      return null;
    }
    int start = at + RESPONSES.length();
    int slash = encodedPath.indexOf('/', start);
    if (start >= end || (slash >= 0 && slash < end)) {
      return null;
    }
    return encodedPath.substring(start, end);
  }

  /**
   * Whether the call answered with response {@code id} waits for its usage; expired calls are
   * settled first, when due.
   */
  public boolean awaits(String id) {
    sweepIfDue();
    return waiting.containsKey(id);
  }

  /**
   * Keeps {@code call}, answered with pending response {@code id}, until a terminal poll or its
   * time is up. Returns false, keeping nothing, when {@link #size()} is at its bound, the call's
   * request body would take the bodies kept beyond theirs, or {@code id} is kept already: the
   * caller then settles the call at once.
   */
  boolean keep(String id, GovernedCall call) {
    sweepIfDue();
    long bodyBytes = call.requestBodyBytes();
    if (count.incrementAndGet() > maxPending) {
      count.decrementAndGet();
      return false;
    }
    if (keptBytes.addAndGet(bodyBytes) > maxBodyBytes) {
      release(bodyBytes);
      return false;
    }
    Waiting kept = new Waiting(call, saturatedAdd(clock.millis(), timeToLiveMillis), bodyBytes);
    if (waiting.putIfAbsent(id, kept) != null) {
      release(bodyBytes);
      return false;
    }
    try {
      kept.timer =
          Expiry.TIMER.schedule(
              () -> expire(id, kept),
              saturatedAdd(timeToLiveMillis, Expiry.MARGIN_MILLIS),
              TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      // no timer task: the call is settled by a poll, a sweep or settleAll, as ever
    }
    if (waiting.get(id) != kept) {
      kept.stopTimer(); // settled meanwhile
    }
    return true;
  }

  /**
   * The timer's task of {@code kept}: settles it on its whole allowance when the gateway's clock
   * says its time is up (a clock of the application's own that says otherwise leaves it to a
   * sweep), unless it was settled otherwise.
   */
  private void expire(String id, Waiting kept) {
    if (clock.millis() >= kept.expiresAtMillis) {
      settleOnAllowance(id, kept);
    }
  }

  /** {@code a + b} for a non-negative {@code b}, {@link Long#MAX_VALUE} where that overflows. */
  private static long saturatedAdd(long a, long b) {
    return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
  }

  /** Gives back one call's place and its body's bytes. */
  private void release(long bodyBytes) {
    keptBytes.addAndGet(-bodyBytes);
    count.decrementAndGet();
  }

  /**
   * A poll of response {@code id} was answered 2xx with the JSON document {@code doc[from, to)},
   * read whole by the application: when it is the response, terminal, the call waiting for it is
   * settled on the usage it reports and its event sent. Anything else changes nothing. Never
   * throws.
   */
  public void polled(String id, byte[] doc, int from, int to) {
    try {
      JsonNode response = Json.parseOrNull(doc, from, to - from);
      if (response == null
          || !"response".equals(response.path("object").textValue())
          || !id.equals(response.path("id").textValue())) {
        return;
      }
      String status = response.path("status").textValue();
      boolean failed = "failed".equals(status) || "cancelled".equals(status);
      if (!failed && !"completed".equals(status) && !"incomplete".equals(status)) {
        return; // queued, in_progress, or unknown: still to come
      }
      Waiting kept = waiting.remove(id);
      if (kept == null) {
        return; // another poll settled it, or it was never kept
      }
      kept.stopTimer();
      release(kept.bodyBytes);
      Usage usage = ResponseReadout.parseUsage(response.path("usage"));
      String model = response.path("model").textValue();
      kept.call.settleBackground(usage, failed, model == null || model.isEmpty() ? null : model);
    } catch (RuntimeException e) {
      LoggerFactory.getLogger(BackgroundResponses.class)
          .warn("ai-gateway: settling background response failed: {}", e.getClass().getName());
    }
  }

  /**
   * Settles, on their whole allowance, the calls whose time is up, when the last look for them was
   * at least a second ago. Never throws.
   */
  public void sweepIfDue() {
    if (count.get() == 0) {
      return;
    }
    long now = clock.millis();
    long due = nextSweep.get();
    if (now < due || !nextSweep.compareAndSet(due, now + SWEEP_INTERVAL_MILLIS)) {
      return;
    }
    for (Map.Entry<String, Waiting> entry : waiting.entrySet()) {
      Waiting kept = entry.getValue();
      if (now >= kept.expiresAtMillis) {
        settleOnAllowance(entry.getKey(), kept);
      }
    }
  }

  /**
   * Settles every call that waits now on its whole allowance, with its event, as if its time were
   * up: for an application's shutdown, so no call ends unsettled and without its event. Calls kept
   * later wait as before. Returns how many this settled (a call a poll settles meanwhile is not
   * counted). Never throws.
   */
  public int settleAll() {
    int settled = 0;
    for (Map.Entry<String, Waiting> entry : waiting.entrySet()) {
      if (settleOnAllowance(entry.getKey(), entry.getValue())) {
        settled++;
      }
    }
    return settled;
  }

  /** Settles {@code kept} on its whole allowance unless another thread took it first. */
  private boolean settleOnAllowance(String id, Waiting kept) {
    if (!waiting.remove(id, kept)) {
      return false;
    }
    kept.stopTimer();
    release(kept.bodyBytes);
    try {
      kept.call.settleBackground(null, false, null);
    } catch (RuntimeException e) {
      LoggerFactory.getLogger(BackgroundResponses.class)
          .warn(
              "ai-gateway: settling a background response on its allowance failed: {}",
              e.getClass().getName());
    }
    return true;
  }
}
