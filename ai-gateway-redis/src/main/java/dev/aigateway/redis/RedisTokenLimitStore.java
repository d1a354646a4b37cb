package dev.aigateway.redis;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.CounterId;
import dev.aigateway.api.spi.CounterReading;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisLoadingException;
import io.lettuce.core.api.StatefulRedisConnection;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TokenLimitStore} on Redis: every gateway instance of an application that shares one
 * Redis enforces one set of rate limits, calendar quotas and in-flight limits, exactly.
 *
 * <pre>{@code
 * RedisConnection redis = RedisConnection.builder().uri("redis://redis.internal:6379").build();
 * RedisTokenLimitStore limits = RedisTokenLimitStore.builder(redis)
 *     .inFlightLease(Duration.ofMinutes(10))   // a dead JVM's slots come back after this
 *     .build();
 * AiGateway gateway = AiGateway.builder()
 *     .tokenLimitStore(limits)
 *     // ... limits, backends ...
 *     .build();
 * }</pre>
 *
 * <p>What it guarantees beyond the {@link TokenLimitStore} contract, and how (details in {@code
 * docs/scale-out.md}):
 *
 * <ul>
 *   <li><b>One round trip to reserve, none to settle.</b> {@link #reserve} checks and takes every
 *       charge in one run of a Lua function ({@code FCALL} of the store's Redis Functions library,
 *       loaded on first use; Redis 7.0 or later), so no other instance's call interleaves; {@link
 *       #settle} queues the settlement and returns without waiting for Redis. The reservations and
 *       settlements of this JVM that arrive while a script is in flight run together as the next
 *       script, in arrival order, each exactly as on its own (group commit: no batching delay, and
 *       one script run for many calls under load). A reservation that finds nothing of this store
 *       in flight is written and read by its own thread on a blocking connection of the store's
 *       (Jedis), without the two thread hand-offs of Lettuce's event loop (see {@link
 *       Builder#reserveOnCallerThread}). Time is the Redis server's {@code TIME}, never this JVM's
 *       clock; quota windows are found from it (this JVM proposes the candidate windows of its zone
 *       rules, the script picks the one holding the server's time).
 *   <li><b>Settled once, even when replayed.</b> A reservation leaves its id in the store's pending
 *       set in Redis, which its settlement removes in the same script; a settlement that finds no
 *       id changes no counter (it only frees the call's in-flight slots, if still held). An id
 *       counts as pending for {@link Builder#settlementWindow} (default 24 hours).
 *   <li><b>A dead JVM leaks nothing for long.</b> A rate simply refills; a quota keeps the estimate
 *       that was reserved (conservative, bounded by it); an in-flight slot is a lease that ends
 *       after {@link Builder#inFlightLease} (default 10 minutes) on the server's clock. So, unlike
 *       in memory, a call that runs longer than the lease no longer holds its slot.
 *   <li><b>Redis down.</b> {@link #reserve} throws a {@link RedisStoreException} within the command
 *       timeout (the gateway then applies its store failure policy); settlements Redis did not take
 *       stay queued, up to {@link Builder#settlementQueueBound}, and are replayed, oldest first,
 *       once Redis answers again ({@link #settlements()}). {@link #flush}, {@link #close} and the
 *       JVM's shutdown send what is queued. A reservation that was sent but not answered (Redis
 *       stalled past the command timeout, or the connection dropped while it was in flight) is
 *       cancelled the same way, queued and replayed: Redis refunds it if it ran, and it does
 *       nothing should it run later.
 * </ul>
 *
 * <p>All keys of the store share one Redis Cluster hash tag, {@code {limits}}, after the
 * connection's key prefix, so any call's keys are in one slot. Thread-safe; {@link #close} flushes
 * and stops the replay of queued settlements (the connection stays open: close it yourself).
 */
public final class RedisTokenLimitStore implements TokenLimitStore, AutoCloseable {

  /** The default lease of an in-flight slot. */
  public static final Duration DEFAULT_IN_FLIGHT_LEASE = Duration.ofMinutes(10);

  /** How long an unsettled reservation can still be settled, by default. */
  public static final Duration DEFAULT_SETTLEMENT_WINDOW = Duration.ofHours(24);

  /** How long closing the store waits for its queued settlements, by default. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(2);

  /** How many failed settlements are kept for replay, by default. */
  public static final int DEFAULT_SETTLEMENT_QUEUE_BOUND = 10_000;

  /** The Redis Cluster hash tag every key of the store carries. */
  static final String HASH_TAG = "{limits}";

  private static final Logger LOG = LoggerFactory.getLogger(RedisTokenLimitStore.class);
  // One Redis Functions library: the batch function (refused whole when Redis is out of memory, so
  // a reservation is never partly taken), the same with allow-oom for settlements only, and the
  // read-only peek (no-writes: refused by Redis if it ever wrote, allowed on a replica).
  private static final LimitScript.Library LIBRARY =
      LimitScript.library(
          "token-limits-common.lua", "token-limits-batch.lua", "token-limits-peek.lua");
  private static final LimitScript RESERVING = LIBRARY.function("batch");
  private static final LimitScript SETTLING = LIBRARY.function("batch_oom");
  private static final LimitScript PEEK = LIBRARY.function("peek");
  private static final long BEYOND_LONG = -1;
  // Every in-flight limit reads the same: its counters are sorted sets of leases, sized by slots.
  private static final String[] IN_FLIGHT_DESCRIPTION = {"f", "", "", "", ""};
  private static final String[] COUNTS = new String[65];

  static {
    for (int i = 0; i < COUNTS.length; i++) {
      COUNTS[i] = Integer.toString(i);
    }
  }

  private static final int ATTEMPTS = 3;

  /** The error codes of a server that takes no writes now but may later. */
  private static final String[] WRITES_REFUSED_FOR_NOW = {
    "READONLY ", "MASTERDOWN ", "MISCONF ", "NOREPLICAS ", "TRYAGAIN ", "CLUSTERDOWN ", "LOADING "
  };

  private final RedisConnection connection;
  private final String keyBase;
  private final String leaseMillis;
  private final String settlementWindowMillis;
  private final int queueBound;
  private final String idPrefix;
  private final AtomicLong sequence = new AtomicLong();
  private final ConcurrentHashMap<LimitSpec, String> stems = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<LimitSpec, RateTerms> rates = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<LimitSpec, Windows> windows = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<LimitSpec, String[]> rateDescriptions = new ConcurrentHashMap<>();
  private final @Nullable LongSupplier pinnedMicros;
  private final Clock jvmClock;
  private volatile long serverOffsetMillis;

  private final LimitBatcher batcher;
  private final Logger log;
  private final AtomicBoolean evictionChecked = new AtomicBoolean();
  private final long callTimeoutNanos;
  private final long closeTimeoutNanos;
  private final Thread shutdownFlush;
  private boolean closed;

  private RedisTokenLimitStore(Builder b) {
    this.connection = b.connection;
    this.keyBase = connection.keyPrefix() + HASH_TAG + ":";
    this.leaseMillis = Long.toString(Math.max(1, Settings.keptInRedis(b.inFlightLease).toMillis()));
    this.settlementWindowMillis =
        Long.toString(Math.max(1, Settings.keptInRedis(b.settlementWindow).toMillis()));
    this.queueBound = b.settlementQueueBound;
    this.pinnedMicros = b.pinnedMicros;
    this.jvmClock = b.jvmClock;
    this.log = b.log;
    byte[] random = new byte[8];
    new SecureRandom().nextBytes(random);
    this.idPrefix = Long.toUnsignedString(java.nio.ByteBuffer.wrap(random).getLong(), 36) + ".";
    this.callTimeoutNanos = connection.commandTimeout().toNanos();
    this.closeTimeoutNanos = TimeUnit.NANOSECONDS.convert(b.closeTimeout);
    this.batcher =
        new LimitBatcher(
            connection,
            RESERVING,
            SETTLING,
            keyBase + "pending:" + idPrefix.substring(0, idPrefix.length() - 1),
            leaseMillis,
            settlementWindowMillis,
            queueBound,
            b.upkeepNanos,
            b.reserveOnCallerThread ? connection.newDirectLink() : null);
    this.shutdownFlush = new Thread(this::flushAtShutdown, "aigateway-redis-settlement-flush");
    try {
      Runtime.getRuntime().addShutdownHook(shutdownFlush);
    } catch (IllegalStateException shuttingDown) {
      // built while the JVM stops: nothing to flush at its shutdown
    }
  }

  /** A builder for a store on {@code connection}. */
  public static Builder builder(RedisConnection connection) {
    return new Builder(connection);
  }

  /**
   * Settlements not yet applied, replayed after Redis did not take them, and dropped.
   *
   * @param pending queued or in flight, not yet applied (a handful on their way in normal
   *     operation; the ones waiting for replay while Redis is away); the cancellations of
   *     reservations Redis did not answer in time count as settlements
   * @param replayed applied later, once Redis answered again
   * @param dropped never applied: the oldest, pushed out of a full queue, or refused by Redis
   */
  public record Settlements(int pending, long replayed, long dropped) {}

  /** The settlements this store holds, as counts. */
  public Settlements settlements() {
    return batcher.settlements();
  }

  // ---------------------------------------------------------------- reserve

  /**
   * Reserves every charge or none, in one script run on Redis (shared with the reservations and
   * settlements of other threads that arrived meanwhile); see {@link TokenLimitStore#reserve}.
   * Returns or throws within the connection's command timeout.
   *
   * @throws RedisStoreException when Redis is unreachable, does not answer within the command
   *     timeout or refuses the script (out of memory): nothing was charged (a reservation that
   *     Redis makes after its caller stopped waiting is refunded, at once when its answer comes,
   *     else by its cancellation, which is queued and replayed like a settlement and which also
   *     keeps it from being made should Redis run it later still)
   */
  @Override
  public ReserveResult reserve(List<LimitCharge> charges) {
    if (charges.isEmpty()) {
      return ReserveResult.admitted(Reservation.EMPTY, List.of());
    }
    ReserveOperation op = new ReserveOperation(List.copyOf(charges));
    // one deadline for making the connection (the first call), the command, and its attempts
    // again with quota windows around Redis's time
    long deadlineNanos = System.nanoTime() + callTimeoutNanos;
    for (int attempt = 1; ; attempt++) {
      batcher.reserve(op, deadlineNanos);
      long[] reply = await(op, deadlineNanos);
      long status = reply[0];
      long nowMicros = reply[1];
      if (status == 2) {
        if (attempt >= ATTEMPTS) {
          throw new IllegalStateException(
              "Redis token limit store: no quota window holds the server's time "
                  + Instant.ofEpochMilli(Math.floorDiv(nowMicros, 1000)));
        }
        // this JVM's clock is off: propose windows around Redis's
        op = op.again(Math.floorDiv(nowMicros, 1000));
        continue;
      }
      ReserveResult result = result(op, reply);
      if (!evictionChecked.get()) {
        checkEviction();
      }
      return result;
    }
  }

  /**
   * Asks the server once, without waiting for the answer, whether it evicts keys when it is full
   * ({@code INFO memory}: a {@code maxmemory} and a {@code maxmemory-policy} other than {@code
   * noeviction}), and warns if it does: every key of this store has a time to live, so any policy
   * that evicts may drop limit counters (a spent quota then admits again) and pending reservation
   * ids (their settlements are then lost). Asked on the shared connection once it is made; a server
   * that refuses {@code INFO} is not asked again.
   */
  private void checkEviction() {
    StatefulRedisConnection<String, String> shared;
    try {
      shared = connection.strings(0);
    } catch (RuntimeException notYet) {
      return; // not made yet: the next reservation asks
    }
    if (!evictionChecked.compareAndSet(false, true)) {
      return;
    }
    try {
      shared
          .async()
          .info("memory")
          .whenComplete(
              (info, failure) -> {
                if (failure != null) {
                  log.debug(
                      "Redis token limit store: could not read the eviction policy of Redis at {}:"
                          + " {}",
                      connection.address(),
                      failure.toString());
                } else {
                  reportEviction(info);
                }
              });
    } catch (RuntimeException e) {
      log.debug(
          "Redis token limit store: could not ask Redis at {} for its eviction policy: {}",
          connection.address(),
          e.toString());
    }
  }

  /** Warns when {@code info} (the reply to {@code INFO memory}) says that Redis evicts keys. */
  private void reportEviction(String info) {
    String policy = infoField(info, "maxmemory_policy");
    String maxmemory = infoField(info, "maxmemory");
    if (policy == null || maxmemory == null) {
      return;
    }
    long bytes;
    try {
      bytes = Long.parseLong(maxmemory);
    } catch (NumberFormatException e) {
      return;
    }
    if (bytes > 0 && !policy.equals("noeviction")) {
      log.warn(
          "Redis token limit store: Redis at {} evicts keys when it is full (maxmemory {} bytes,"
              + " maxmemory-policy {}): it can drop limit counters, so that a spent quota or rate"
              + " admits again, and pending reservations, whose settlements are then lost. Keep"
              + " the limits on a Redis with maxmemory-policy noeviction (or without maxmemory),"
              + " apart from caches that may evict",
          connection.address(),
          bytes,
          policy);
    } else {
      log.debug(
          "Redis token limit store: Redis at {} does not evict keys (maxmemory {} bytes,"
              + " maxmemory-policy {})",
          connection.address(),
          bytes,
          policy);
    }
  }

  /** The value of {@code name} in an {@code INFO} reply ({@code name:value} lines), or null. */
  private static @Nullable String infoField(String info, String name) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(name + ":")) {
        return line.substring(name.length() + 1).trim();
      }
    }
    return null;
  }

  /** Waits for a reservation's answer until {@code deadlineNanos}; abandons it after. */
  private long[] await(ReserveOperation op, long deadlineNanos) {
    try {
      return op.answer.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      if (op.answer.cancel(false)) {
        throw new RedisStoreException(
            "Redis token limit store could not reserve at "
                + connection.address()
                + ": timed out after "
                + connection.commandTimeout().toMillis()
                + " ms; the call was not charged",
            e);
      }
      return await(op, deadlineNanos); // answered just now
    } catch (InterruptedException e) {
      if (!op.answer.cancel(false)) {
        Thread.currentThread().interrupt();
        return await(op, deadlineNanos);
      }
      Thread.currentThread().interrupt();
      throw new RedisStoreException(
          "Redis token limit store: interrupted while reserving; the call was not charged", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new RedisStoreException("Redis token limit store could not reserve", cause);
    }
  }

  /** One call's charges as the batch script reserves them: its distinct counters, in order. */
  private final class ReserveOperation extends LimitBatcher.Operation {
    final List<LimitCharge> taken;
    final String id;
    final String[] chargeKeys;
    final int[] counterOf;
    final int[] slots;
    final List<String> counterKeys;
    final List<LimitSpec> counterSpecs;
    final long[] together;
    final int[] slotCount;
    final String pinned;
    final long atMillis;
    final long[][] candidates;
    final CompletableFuture<long[]> answer = new CompletableFuture<>();
    // whether it was written into a batch, so Redis may run it
    private volatile boolean written;

    ReserveOperation(List<LimitCharge> taken) {
      this.taken = taken;
      int n = taken.size();
      chargeKeys = new String[n];
      counterOf = new int[n];
      slots = new int[n];
      counterKeys = new ArrayList<>(n);
      counterSpecs = new ArrayList<>(n);
      together = new long[n];
      slotCount = new int[n];
      for (int i = 0; i < n; i++) {
        LimitCharge charge = taken.get(i);
        String key = key(charge.limit(), charge.counterKey());
        chargeKeys[i] = key;
        int c = counterKeys.indexOf(key);
        if (c < 0) {
          c = counterKeys.size();
          counterKeys.add(key);
          counterSpecs.add(charge.limit());
        }
        counterOf[i] = c;
        long amount = charge.amount();
        if (together[c] != BEYOND_LONG) {
          together[c] = together[c] > Long.MAX_VALUE - amount ? BEYOND_LONG : together[c] + amount;
        }
        if (charge.limit().kind() == LimitSpec.Kind.IN_FLIGHT) {
          slots[i] = ++slotCount[c];
        }
      }
      id = idPrefix + Long.toString(sequence.incrementAndGet(), 36);
      pinned = pinnedArgument();
      atMillis = estimateMillis();
      candidates = new long[counterKeys.size()][];
    }

    /** The same reservation, to be sent again with quota windows around {@code atMillis}. */
    private ReserveOperation(ReserveOperation first, long atMillis) {
      taken = first.taken;
      id = first.id;
      chargeKeys = first.chargeKeys;
      counterOf = first.counterOf;
      slots = first.slots;
      counterKeys = first.counterKeys;
      counterSpecs = first.counterSpecs;
      together = first.together;
      slotCount = first.slotCount;
      pinned = pinnedArgument();
      this.atMillis = atMillis;
      candidates = new long[counterKeys.size()][];
    }

    ReserveOperation again(long atMillis) {
      return new ReserveOperation(this, atMillis);
    }

    @Override
    boolean reserves() {
      return true;
    }

    @Override
    boolean abandoned() {
      return answer.isDone();
    }

    @Override
    void write(List<String> keys, List<String> args, LimitBatcher.Limits limits) {
      int counters = counterKeys.size();
      keys.addAll(counterKeys);
      args.add("R");
      args.add(pinned);
      args.add(count(counters));
      args.add(id);
      for (int c = 0; c < counters; c++) {
        LimitSpec spec = counterSpecs.get(c);
        long sum = together[c];
        long threshold = sum == BEYOND_LONG ? -1 : spec.capacity() - Math.max(1, sum);
        switch (spec.kind()) {
          case RATE -> {
            args.add(limits.number(rateDescription(spec)));
            args.add(Long.toString(sum));
          }
          case QUOTA -> {
            Windows w = candidateWindows(spec, atMillis);
            candidates[c] = w.bounds();
            args.add(limits.number(w.description()));
            args.add(Long.toString(sum));
          }
          case IN_FLIGHT -> {
            args.add(limits.number(IN_FLIGHT_DESCRIPTION));
            args.add(count(slotCount[c]));
          }
        }
        args.add(Long.toString(threshold));
      }
      written = true;
    }

    @Override
    int replyLength() {
      return 2 + 2 * counterKeys.size();
    }

    @Override
    boolean answered(List<Object> reply, int from) {
      long[] mine = new long[replyLength()];
      for (int i = 0; i < mine.length; i++) {
        mine[i] = (Long) reply.get(from + i);
      }
      if (pinned.isEmpty()) {
        learnServerTime(mine[1]);
      }
      if (!answer.complete(mine) && mine[0] == 1) {
        // Its caller stopped waiting (timed out): it must not charge anything.
        ReserveResult late = result(this, mine);
        settle(late.reservation(), new long[taken.size()]);
      }
      return false;
    }

    @Override
    void failed(RedisException failure) {
      if (written && unanswered(failure)) {
        // Sent, not answered: Redis may have run it, or run it still. Its cancellation, queued
        // and replayed like a settlement, refunds it if it ran and keeps it from running if not.
        int n = taken.size();
        RedisReservation unanswered =
            new RedisReservation(
                RedisTokenLimitStore.this, id, taken, chargeKeys, new long[n], new long[n], slots);
        unanswered.settled.set(true);
        batcher.settle(
            new SettleOperation(
                unanswered, TokenLimitStore.settlementDeltas(taken, new long[n]), atMillis, true));
      }
      answer.completeExceptionally(failure("reserve", failure)); // its cancellation is queued
    }
  }

  private ReserveResult result(ReserveOperation op, long[] reply) {
    boolean admitted = reply[0] == 1;
    long nowMicros = reply[1];
    List<LimitCharge> taken = op.taken;
    int n = taken.size();
    List<Long> remaining = new ArrayList<>(n);
    long[] windowStarts = new long[n];
    long[] windowEnds = new long[n];
    LimitCharge rejectedBy = null;
    Duration rejectedWait = null;
    Duration retryAfter = null;
    for (int i = 0; i < n; i++) {
      LimitCharge charge = taken.get(i);
      LimitSpec spec = charge.limit();
      int c = op.counterOf[i];
      long used = reply[2 + 2 * c];
      long aux = reply[3 + 2 * c];
      long left = spec.capacity() - used; // capacity > 0 and used >= 0: no overflow
      long sum = op.together[c];
      if (spec.kind() == LimitSpec.Kind.QUOTA) {
        windowStarts[i] = op.candidates[c][(int) aux];
        windowEnds[i] = op.candidates[c][(int) aux + 1];
      }
      if (admitted) {
        remaining.add(saturatedSubtract(left, sum));
        continue;
      }
      remaining.add(left);
      long required = sum == BEYOND_LONG ? Long.MAX_VALUE : Math.max(1, sum);
      boolean fits = sum != BEYOND_LONG && left >= required;
      if (fits) {
        continue;
      }
      Duration wait =
          switch (spec.kind()) {
            case RATE -> terms(spec).waitFor(spec, used, aux, required);
            case QUOTA ->
                Duration.ofMillis(Math.max(0, windowEnds[i] - Math.floorDiv(nowMicros, 1000)));
            case IN_FLIGHT -> Duration.ZERO;
          };
      // As in memory: by precedence, then the longest wait; the call waits for every refusal.
      if (rejectedBy == null
          || precedence(charge) > precedence(rejectedBy)
          || (precedence(charge) == precedence(rejectedBy) && wait.compareTo(rejectedWait) > 0)) {
        rejectedBy = charge;
        rejectedWait = wait;
      }
      if (retryAfter == null || wait.compareTo(retryAfter) > 0) {
        retryAfter = wait;
      }
    }
    if (admitted) {
      return ReserveResult.admitted(
          new RedisReservation(
              this, op.id, taken, op.chargeKeys, windowStarts, windowEnds, op.slots),
          remaining);
    }
    if (rejectedBy == null) {
      // Redis compared in doubles what this JVM compares exactly: only beyond 2^53 can they differ.
      rejectedBy = taken.get(0);
      retryAfter = Duration.ZERO;
    }
    return ReserveResult.rejected(rejectedBy, retryAfter, remaining);
  }

  /**
   * A spent quota (403) before a busy rate (429) before a full in-flight limit, as in memory; among
   * equals, the longest wait, else the first. The call is answered with the longest wait of all.
   */
  private static int precedence(LimitCharge charge) {
    return switch (charge.limit().kind()) {
      case QUOTA -> 2;
      case RATE -> 1;
      case IN_FLIGHT -> 0;
    };
  }

  // ---------------------------------------------------------------- settle

  /**
   * Settles a reservation this store made, once; see {@link TokenLimitStore#settle}. Returns at
   * once, without waiting for Redis: the settlement is queued and applied in the next script run
   * (in order with the reservations and settlements before it, so a later {@link #reserve} or
   * {@link #peek} of any thread of this JVM sees it), which is the next reservation's or, when no
   * reservation comes within 2 ms, one of its own. When Redis cannot take it, it stays queued and
   * is replayed (it is still applied once: its id in the store's pending set decides); see {@link
   * #settlements()} and {@link #flush}.
   *
   * @throws IllegalArgumentException for a reservation of another store, or amounts that do not fit
   *     its charges; nothing changes then
   */
  @Override
  public void settle(Reservation reservation, long[] actual) {
    if (TokenLimitStore.settlesNothing(reservation, actual)) {
      return;
    }
    if (!(reservation instanceof RedisReservation own) || own.store != this) {
      throw TokenLimitStore.foreignReservation(reservation);
    }
    long[] deltas = TokenLimitStore.settlementDeltas(own.charges, actual);
    if (!own.settled.compareAndSet(false, true)) {
      return; // settled before: a reservation is settled once
    }
    batcher.settle(new SettleOperation(own, deltas, estimateMillis()));
  }

  /**
   * One reservation's settlement as the batch script applies it; or the cancellation of a
   * reservation its caller got no answer for, which refunds it if it ran and keeps it from running
   * if not (its quota windows are found by the script: {@code atMillis} is then the reservation's).
   */
  private final class SettleOperation extends LimitBatcher.Operation {
    private final RedisReservation r;
    private final long[] deltas;
    private final String pinned;
    private final boolean cancel;
    private long atMillis;
    private int windowAttempts = 1;

    SettleOperation(RedisReservation r, long[] deltas, long atMillis) {
      this(r, deltas, atMillis, false);
    }

    SettleOperation(RedisReservation r, long[] deltas, long atMillis, boolean cancel) {
      this.r = r;
      this.deltas = deltas;
      this.pinned = pinnedArgument();
      this.atMillis = atMillis;
      this.cancel = cancel;
    }

    @Override
    boolean reserves() {
      return false;
    }

    @Override
    boolean abandoned() {
      return false;
    }

    @Override
    void write(List<String> keys, List<String> args, LimitBatcher.Limits limits) {
      int n = r.charges.size();
      keys.addAll(Arrays.asList(r.keys));
      args.add(cancel ? "C" : "S");
      args.add(pinned);
      args.add(count(n));
      args.add(r.id);
      for (int i = 0; i < n; i++) {
        LimitSpec spec = r.charges.get(i).limit();
        switch (spec.kind()) {
          case RATE -> {
            args.add(limits.number(rateDescription(spec)));
            args.add(Long.toString(deltas[i]));
            args.add("");
            args.add("");
          }
          case QUOTA -> {
            args.add(limits.number(candidateWindows(spec, atMillis).description()));
            args.add(Long.toString(deltas[i]));
            args.add(cancel ? "" : Long.toString(r.windowStarts[i]));
            args.add(cancel ? "" : Long.toString(r.windowEnds[i]));
          }
          case IN_FLIGHT -> {
            args.add(limits.number(IN_FLIGHT_DESCRIPTION));
            args.add(Long.toString(deltas[i]));
            args.add(r.id + ":" + r.slots[i]);
            args.add("");
          }
        }
      }
    }

    @Override
    int replyLength() {
      return 2;
    }

    @Override
    boolean answered(List<Object> reply, int from) {
      long status = (Long) reply.get(from);
      long nowMicros = (Long) reply.get(from + 1);
      if (pinned.isEmpty()) {
        learnServerTime(nowMicros);
      }
      if (status != 2) {
        return false;
      }
      if (windowAttempts++ >= ATTEMPTS) {
        LOG.warn(
            "Redis token limit store: no quota window holds the server's time {}; the settlement"
                + " of {} was dropped",
            Instant.ofEpochMilli(Math.floorDiv(nowMicros, 1000)),
            r.id);
        return false;
      }
      atMillis = Math.floorDiv(nowMicros, 1000); // this JVM's clock is off: windows around Redis's
      return true;
    }

    @Override
    void failed(RedisException failure) {
      // settlements are kept and replayed by the batcher
    }
  }

  // ---------------------------------------------------------------- peek

  /**
   * Reads counters in one read-only script run on Redis ({@code flags=no-writes}: it creates,
   * changes and extends no key), all at the same server time; see {@link TokenLimitStore#peek}. An
   * in-flight counter counts the leases that have not ended (an ended one is removed by the next
   * reservation, not by a read).
   *
   * @throws RedisStoreException when Redis is unreachable or does not answer within the command
   *     timeout (one deadline from the call's start for sending the settlements queued before it,
   *     making the connection and the read)
   */
  @Override
  public List<CounterReading> peek(List<CounterId> counters) {
    if (counters.isEmpty()) {
      return List.of();
    }
    List<CounterId> ids = List.copyOf(counters);
    int n = ids.size();
    String[] keys = new String[n];
    for (int i = 0; i < n; i++) {
      keys[i] = key(ids.get(i).limit(), ids.get(i).counterKey());
    }
    long at = estimateMillis();
    long[][] candidates = new long[n][];
    long deadlineNanos = System.nanoTime() + callTimeoutNanos;
    for (int attempt = 1; ; attempt++) {
      String[] args = new String[3 + 5 * n];
      args[0] = "";
      args[1] = pinnedArgument();
      args[2] = Integer.toString(n);
      for (int i = 0; i < n; i++) {
        LimitSpec spec = ids.get(i).limit();
        int base = 3 + 5 * i;
        args[base] = kindCode(spec);
        for (int j = 1; j < 5; j++) {
          args[base + j] = "0";
        }
        switch (spec.kind()) {
          case RATE -> {
            RateTerms terms = terms(spec);
            args[base + 1] = terms.q();
            args[base + 2] = terms.r();
            args[base + 3] = terms.bText();
          }
          case QUOTA -> {
            Windows w = candidateWindows(spec, at);
            candidates[i] = w.bounds();
            for (int j = 0; j < 4; j++) {
              args[base + 1 + j] = w.description()[1 + j];
            }
          }
          case IN_FLIGHT -> {}
        }
      }
      List<Long> reply;
      try {
        // Settlements waiting for a batch to ride with go first, on the same connection: the
        // read sees every settlement this thread made before it.
        batcher.sendQueued(deadlineNanos - System.nanoTime());
        reply = read(keys, args, deadlineNanos);
      } catch (RedisException e) {
        throw failure("read counters", e);
      }
      long nowMicros = reply.get(1);
      learnServerTime(nowMicros);
      if (reply.get(0) == 2) {
        if (attempt >= ATTEMPTS) {
          throw new IllegalStateException(
              "Redis token limit store: no quota window holds the server's time "
                  + Instant.ofEpochMilli(Math.floorDiv(nowMicros, 1000)));
        }
        at = Math.floorDiv(nowMicros, 1000);
        continue;
      }
      Instant now = Instant.EPOCH.plus(nowMicros, java.time.temporal.ChronoUnit.MICROS);
      List<CounterReading> readings = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        CounterId id = ids.get(i);
        LimitSpec spec = id.limit();
        long used = Math.max(0, reply.get(2 + 2 * i));
        long aux = reply.get(3 + 2 * i);
        Instant resetsAt =
            switch (spec.kind()) {
              case RATE ->
                  used == 0
                      ? null
                      : now.plus(terms(spec).waitFor(spec, used, aux, spec.capacity()));
              case QUOTA -> Instant.ofEpochMilli(candidates[i][(int) aux + 1]);
              case IN_FLIGHT -> null;
            };
        readings.add(new CounterReading(id, used, resetsAt));
      }
      return readings;
    }
  }

  /**
   * Runs the read-only function, answered by {@code deadlineNanos} (a {@link System#nanoTime}),
   * making the connection included.
   *
   * @throws RedisException when Redis could not answer in time, or answered an error
   */
  @SuppressWarnings("unchecked")
  private List<Long> read(String[] keys, String[] args, long deadlineNanos) {
    CompletableFuture<List<Object>> reply =
        PEEK.send(connection.strings(deadlineNanos - System.nanoTime()).async(), keys, args);
    try {
      return (List<Long>)
          (List<?>) reply.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new RedisCommandTimeoutException(
          "Command timed out after " + connection.commandTimeout().toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisException("interrupted while reading counters", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      while (cause instanceof java.util.concurrent.CompletionException
          && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof RedisException redis) {
        throw redis;
      }
      throw new RedisException(String.valueOf(cause), cause);
    }
  }

  // ---------------------------------------------------------------- flush and close

  /**
   * Sends every settlement handed to this store so far and waits until Redis has applied them (or
   * they were dropped), at most {@code timeout}. A settlement never waits for Redis by itself; call
   * this where the application needs them applied now (before reading counters directly, before
   * shutting down). {@link #close} and the JVM's shutdown flush too.
   *
   * @return true when no settlement is left queued or in flight; false at once when the {@link
   *     RedisConnection} is closed and some are left, since none can reach Redis any more
   */
  public boolean flush(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    return batcher.flush(Math.max(0, timeout.toNanos()));
  }

  /** Sends the queued settlements again now (tests: not waiting for the next retry). */
  void replay() {
    batcher.flush(callTimeoutNanos);
  }

  /**
   * The longest a {@link #reserve} or {@link #settle} takes: the connection's command timeout. The
   * gateway therefore calls this store on the calling thread, without a hand-off, when its store
   * timeout is at least this.
   */
  @Override
  public Duration callTimeout() {
    return connection.commandTimeout();
  }

  /**
   * Flushes the queued settlements (waiting at most {@link Builder#closeTimeout}, default 2 s),
   * then stops replaying what is left; the connection stays open. A JVM that shuts down without
   * closing the store flushes the same way, in a shutdown hook. When the {@link RedisConnection}
   * was closed first, nothing can be sent any more: it returns at once. Settlements left unapplied
   * are logged (a warning with their count) and stay counted in {@link #settlements()}.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownFlush);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs (or ran) anyway
    }
    boolean flushed = batcher.flush(closeTimeoutNanos);
    batcher.close();
    int left = batcher.settlements().pending();
    if (!flushed && left > 0) {
      LOG.warn(
          "Redis token limit store closed with {} settlements not yet applied to Redis at {}",
          left,
          connection.address());
    }
  }

  private void flushAtShutdown() {
    if (!batcher.flush(closeTimeoutNanos)) {
      LOG.warn(
          "Redis token limit store: the JVM stops with {} settlements not applied to Redis at {}",
          batcher.settlements().pending(),
          connection.address());
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Whether a failure means Redis could not be reached or could not answer now: also an error that
   * says the server takes no writes for the moment (a replica, as during a failover; a failing
   * snapshot; too few replicas; a cluster slot moving or down), which a later attempt can pass.
   */
  static boolean unreachable(RedisException e) {
    if (e instanceof RedisBusyException || e instanceof RedisLoadingException) {
      return true;
    }
    if (!(e instanceof RedisCommandExecutionException)) {
      return true;
    }
    String message = String.valueOf(e.getMessage()); // Redis answered with an error
    for (String code : WRITES_REFUSED_FOR_NOW) {
      if (message.startsWith(code)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a command failed with {@code e} after it was sent, without an answer, so that Redis may
   * have run it: it timed out, or its connection dropped or was closed while it was in flight
   * (Lettuce fails the commands it had written with "Connection disconnected", or "Connection
   * closed" when the application closes the {@link RedisConnection}; the direct link says {@link
   * DirectLink.AnswerLost}). A command refused before it was sent (not connected, or the connection
   * closed already), or whose time ran out before it was written ({@link DirectLink.NotSent}), has
   * not run.
   */
  static boolean unanswered(RedisException e) {
    String message = e.getMessage();
    return (e instanceof RedisCommandTimeoutException && !(e instanceof DirectLink.NotSent))
        || e instanceof DirectLink.AnswerLost
        || "Connection disconnected".equals(message)
        || "Connection closed".equals(message);
  }

  private RedisStoreException failure(String operation, RedisException e) {
    String why = String.valueOf(e.getMessage());
    String consequence =
        operation.equals("reserve")
            ? why.startsWith("OOM")
                ? "; Redis is out of memory under its maxmemory policy, and nothing was charged"
                : "; the call was not charged"
            : "";
    return new RedisStoreException(
        "Redis token limit store could not "
            + operation
            + " at "
            + connection.address()
            + ": "
            + why
            + consequence,
        e);
  }

  private String key(LimitSpec spec, String counterKey) {
    if (!Wire.wellFormed(counterKey) || !Wire.wellFormed(spec.id())) {
      return unpairedKey(spec, counterKey);
    }
    String stem = stems.get(spec);
    if (stem == null) {
      String id = spec.id();
      stem =
          stems.computeIfAbsent(
              spec,
              s -> keyBase + keyKind(s) + ":" + countedSettings(s) + id.length() + ":" + id + ":");
    }
    return stem + counterKey;
  }

  /**
   * The key of a counter whose limit id or counter key is not well-formed UTF-16 (an unpaired
   * surrogate): the client would write it as UTF-8 with '?' in its place, and {@code "a\\ud800"}
   * would share the counter of {@code "a?"}. Both are written as hex UTF-16 code units instead,
   * after the kind and a '~', which no other key has there.
   */
  private String unpairedKey(LimitSpec spec, String counterKey) {
    StringBuilder key =
        new StringBuilder(keyBase).append(keyKind(spec)).append("~:").append(countedSettings(spec));
    Wire.hexUtf16(key, spec.id()).append(':');
    return Wire.hexUtf16(key, counterKey).toString();
  }

  private RateTerms terms(LimitSpec rate) {
    RateTerms terms = rates.get(rate);
    return terms != null ? terms : rates.computeIfAbsent(rate, RateTerms::of);
  }

  /**
   * A rate limit's description as the batch script reads it (kind, q, r, b, µs per unit); one array
   * per limit, so that a batch describes each limit once (see {@link LimitBatcher.Limits}).
   */
  private String[] rateDescription(LimitSpec rate) {
    String[] description = rateDescriptions.get(rate);
    if (description == null) {
      RateTerms terms = terms(rate);
      description =
          rateDescriptions.computeIfAbsent(
              rate,
              r -> new String[] {"r", terms.q(), terms.r(), terms.bText(), terms.microsPerUnit()});
    }
    return description;
  }

  /** A small count (of counters, charges or slots) as a script argument. */
  private static String count(int n) {
    return n < COUNTS.length ? COUNTS[n] : Integer.toString(n);
  }

  /**
   * A counter key's kind: version 3 for rates and quotas, whose keys name what the counter counts
   * (see {@link #countedSettings}), so that instances of an older version (rates under {@code r:}
   * and {@code r2:}, quotas under {@code q:} and {@code q2:}) never read or write them; the old
   * counters expire by their own TTLs. In-flight sets are unchanged.
   */
  private static String keyKind(LimitSpec spec) {
    return switch (spec.kind()) {
      case RATE -> "r3";
      case QUOTA -> "q3";
      case IN_FLIGHT -> "f";
    };
  }

  /**
   * The settings that decide what a counter counts, beyond its kind and limit id, ahead of the id:
   * for a quota its unit ({@code t} or {@code r}), period and length-prefixed zone (normalized:
   * {@code UTC}, {@code Etc/UTC} and {@code Z} are one zone); for a rate its unit, capacity and
   * refill period in nanoseconds; each followed by ':'. Two counters of one id that differ in any
   * of them (gateways sharing Redis configured differently, or a quota moved to another zone) are
   * counters of their own, instead of a quota resetting the other's window whenever it writes, a
   * rate of requests spending a rate of tokens, or a rate of a million tokens a minute spending one
   * of a thousand (a bucket's state is its units used, its progress towards the next unit in
   * fractions of its own refill speed and an expiry when it would be full at that speed: read by a
   * rate of another capacity or period it means something else). They start with a letter, so they
   * are never read as a limit id's length (digits) or hex UTF-16.
   */
  private static String countedSettings(LimitSpec spec) {
    return switch (spec.kind()) {
      case RATE ->
          (spec.unit() == LimitSpec.Unit.TOKENS ? "t:" : "r:")
              + spec.capacity()
              + ":"
              + spec.refillPeriod().toNanos()
              + ":";
      case QUOTA -> {
        String zone = spec.zone().normalized().getId();
        yield (spec.unit() == LimitSpec.Unit.TOKENS ? "t:" : "r:")
            + spec.quotaPeriod().name().toLowerCase(java.util.Locale.ROOT)
            + ":"
            + zone.length()
            + ":"
            + zone
            + ":";
      }
      case IN_FLIGHT -> "";
    };
  }

  private static String kindCode(LimitSpec spec) {
    return switch (spec.kind()) {
      case RATE -> "r";
      case QUOTA -> "q";
      case IN_FLIGHT -> "f";
    };
  }

  /**
   * Four window boundaries (epoch ms) around {@code atMillis} in the quota's zone: the start of the
   * window before, of the window holding it, of the one after, and that one's end. The script picks
   * the window holding the server's time; this JVM's clock only proposes.
   */
  private Windows candidateWindows(LimitSpec quota, long atMillis) {
    Windows cached = windows.get(quota);
    if (cached != null && cached.bounds()[1] <= atMillis && atMillis < cached.bounds()[2]) {
      return cached;
    }
    QuotaPeriod period = quota.quotaPeriod();
    ZoneId zone = quota.zone();
    Instant at = Instant.ofEpochMilli(atMillis);
    Instant start = period.windowStart(at, zone);
    Instant end = period.windowEnd(at, zone);
    long[] bounds = {
      period.windowStart(start.minusMillis(1), zone).toEpochMilli(),
      start.toEpochMilli(),
      end.toEpochMilli(),
      period.windowEnd(end, zone).toEpochMilli()
    };
    Windows fresh = new Windows(bounds);
    windows.put(quota, fresh);
    return fresh;
  }

  /**
   * A quota's four candidate window boundaries (epoch ms; see {@link #candidateWindows}) and the
   * description the batch script reads (kind, then the boundaries as text), made once per window.
   */
  private record Windows(long[] bounds, String[] description) {
    Windows(long[] bounds) {
      this(
          bounds,
          new String[] {
            "q",
            Long.toString(bounds[0]),
            Long.toString(bounds[1]),
            Long.toString(bounds[2]),
            Long.toString(bounds[3])
          });
    }
  }

  /** This JVM's estimate of the limit clock: its own clock corrected by Redis's last answer. */
  private long estimateMillis() {
    LongSupplier pinned = pinnedMicros;
    if (pinned != null) {
      return Math.floorDiv(pinned.getAsLong(), 1000);
    }
    return jvmClock.millis() + serverOffsetMillis;
  }

  private void learnServerTime(long nowMicros) {
    if (pinnedMicros == null) {
      serverOffsetMillis = Math.floorDiv(nowMicros, 1000) - jvmClock.millis();
    }
  }

  private String pinnedArgument() {
    LongSupplier pinned = pinnedMicros;
    return pinned == null ? "" : Long.toString(pinned.getAsLong());
  }

  private static long saturatedSubtract(long a, long b) {
    long difference = a - b;
    return ((a ^ b) & (a ^ difference)) < 0
        ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE)
        : difference;
  }

  @Override
  public String toString() {
    return "RedisTokenLimitStore[" + connection + "]";
  }

  /** Builds a {@link RedisTokenLimitStore}; each setter replaces the earlier value. */
  public static final class Builder {
    private final RedisConnection connection;
    private Duration inFlightLease = DEFAULT_IN_FLIGHT_LEASE;
    private Duration settlementWindow = DEFAULT_SETTLEMENT_WINDOW;
    private int settlementQueueBound = DEFAULT_SETTLEMENT_QUEUE_BOUND;
    private @Nullable LongSupplier pinnedMicros;
    private Clock jvmClock = Clock.systemUTC();
    private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
    private long upkeepNanos = LimitBatcher.UPKEEP_NANOS;
    private boolean reserveOnCallerThread = true;
    private Logger log = LOG;

    private Builder(RedisConnection connection) {
      this.connection = Objects.requireNonNull(connection, "connection");
    }

    /**
     * How long an in-flight slot is held at most (default 10 minutes): a slot whose call is never
     * settled (its JVM died) is free again after this, on the Redis server's clock. Choose it
     * longer than the longest call you make: a call still running after it no longer counts. One
     * beyond about 31,700 years (10<sup>15</sup> ms; {@code ChronoUnit.FOREVER}'s, say) holds a
     * slot that long.
     */
    public Builder inFlightLease(Duration lease) {
      this.inFlightLease = Settings.atLeastOneMilli("inFlightLease", lease);
      return this;
    }

    /**
     * How long a reservation can still be settled (default 24 hours): its id in the store's pending
     * set lives this long, and a settlement that comes later (queued through a longer outage, or of
     * a call that ran longer) changes no rate or quota; it still frees the call's in-flight slots,
     * which would otherwise be held until {@link #inFlightLease} ends. One beyond about 31,700
     * years (10<sup>15</sup> ms; {@code ChronoUnit.FOREVER}'s, say) is kept that long.
     */
    public Builder settlementWindow(Duration window) {
      this.settlementWindow = Settings.atLeastOneMilli("settlementWindow", window);
      return this;
    }

    /**
     * How many settlements the store holds at most, queued or in flight (default 10,000): while
     * Redis cannot be reached they wait for replay; beyond the bound the oldest queued one is
     * dropped and counted in {@link #settlements()}.
     */
    public Builder settlementQueueBound(int bound) {
      Settings.atLeast("settlementQueueBound", bound, 1);
      this.settlementQueueBound = bound;
      return this;
    }

    /**
     * How long {@link RedisTokenLimitStore#close} (and the JVM's shutdown) waits at most for the
     * queued settlements to reach Redis (default 2 s); one longer than 292 years ({@code
     * ChronoUnit.FOREVER}'s) waits without limit.
     */
    public Builder closeTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "closeTimeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("closeTimeout must not be negative but was " + timeout);
      }
      this.closeTimeout = timeout;
      return this;
    }

    /**
     * Whether a reservation that finds nothing of this store in flight is sent and answered on the
     * calling thread, over a blocking connection of the store's own (Jedis), instead of through
     * Lettuce's shared connection (default true). It saves the two thread hand-offs of Lettuce's
     * event loop (the command to it, the reply back), most of a loopback round trip; under
     * concurrency, reservations still share Lettuce's batches. The store then holds one more
     * connection to Redis. Not used for TLS, Unix socket or Sentinel URIs, which use Lettuce only.
     */
    public Builder reserveOnCallerThread(boolean enabled) {
      this.reserveOnCallerThread = enabled;
      return this;
    }

    /**
     * Test only: the limit clock reads {@code micros} (epoch microseconds) instead of Redis's
     * {@code TIME}, so a contract test can stop and move time. Leases stay on the server's clock.
     */
    Builder pinTimeForTests(LongSupplier micros) {
      this.pinnedMicros = Objects.requireNonNull(micros, "micros");
      return this;
    }

    /** Test only: how often a batch also drops ended entries (default 10 s; zero: every batch). */
    Builder upkeepEvery(Duration period) {
      this.upkeepNanos = Math.max(0, period.toNanos());
      return this;
    }

    /** Test only: this JVM's clock, which only proposes quota windows (default: the system's). */
    Builder jvmClock(Clock clock) {
      this.jvmClock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Test only: where the store's own findings about the server go (default: its logger). */
    Builder logger(Logger logger) {
      this.log = Objects.requireNonNull(logger, "logger");
      return this;
    }

    /** Builds the store; nothing is sent to Redis until the first call. */
    public RedisTokenLimitStore build() {
      return new RedisTokenLimitStore(this);
    }
  }
}
