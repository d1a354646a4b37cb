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
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisLoadingException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 *   <li><b>One round trip each.</b> {@link #reserve} checks and takes every charge in one Lua
 *       script ({@code EVALSHA}), and {@link #settle} applies every charge in another, so no other
 *       instance's call interleaves. Time is the Redis server's {@code TIME}, never this JVM's
 *       clock; quota windows are found from it (this JVM proposes the candidate windows of its zone
 *       rules, the script picks the one holding the server's time).
 *   <li><b>Settled once, even when replayed.</b> A reservation leaves a pending marker in Redis
 *       that its settlement deletes in the same script; a settlement that finds no marker changes
 *       nothing. The marker lives {@link Builder#settlementWindow} (default 24 hours).
 *   <li><b>A dead JVM leaks nothing for long.</b> A rate simply refills; a quota keeps the estimate
 *       that was reserved (conservative, bounded by it); an in-flight slot is a lease that ends
 *       after {@link Builder#inFlightLease} (default 10 minutes) on the server's clock. So, unlike
 *       in memory, a call that runs longer than the lease no longer holds its slot.
 *   <li><b>Redis down.</b> {@link #reserve} throws a {@link RedisStoreException} within the command
 *       timeout (the gateway then admits the call and flags its event); {@link #settle} queues what
 *       it could not apply, up to {@link Builder#settlementQueueBound} settlements, and replays
 *       them, oldest first, once Redis answers again ({@link #settlements()}).
 * </ul>
 *
 * <p>All keys of the store share one Redis Cluster hash tag, {@code {limits}}, after the
 * connection's key prefix, so any call's keys are in one slot. Thread-safe; {@link #close} stops
 * the replay of queued settlements (the connection stays open: close it yourself).
 */
public final class RedisTokenLimitStore implements TokenLimitStore, AutoCloseable {

  /** The default lease of an in-flight slot. */
  public static final Duration DEFAULT_IN_FLIGHT_LEASE = Duration.ofMinutes(10);

  /** How long an unsettled reservation can still be settled, by default. */
  public static final Duration DEFAULT_SETTLEMENT_WINDOW = Duration.ofHours(24);

  /** How many failed settlements are kept for replay, by default. */
  public static final int DEFAULT_SETTLEMENT_QUEUE_BOUND = 10_000;

  /** The Redis Cluster hash tag every key of the store carries. */
  static final String HASH_TAG = "{limits}";

  private static final Logger LOG = LoggerFactory.getLogger(RedisTokenLimitStore.class);
  private static final String COMMON = "token-limits-common.lua";
  // Without flags a script with a shebang is refused whole when Redis is out of memory, so a
  // reservation is never partly taken; a settlement may run then (it mostly frees memory).
  private static final LimitScript RESERVE =
      LimitScript.load("#!lua", COMMON, "token-limits-reserve.lua");
  private static final LimitScript SETTLE =
      LimitScript.load("#!lua flags=allow-oom", COMMON, "token-limits-settle.lua");
  // Reads only: refused by Redis if it ever wrote, and allowed on a replica.
  private static final LimitScript PEEK =
      LimitScript.load("#!lua flags=no-writes", COMMON, "token-limits-peek.lua");
  private static final long BEYOND_LONG = -1;
  private static final int ATTEMPTS = 3;

  private final RedisConnection connection;
  private final String keyBase;
  private final String leaseMillis;
  private final String settlementWindowMillis;
  private final int queueBound;
  private final String idPrefix;
  private final AtomicLong sequence = new AtomicLong();
  private final ConcurrentHashMap<LimitSpec, String> stems = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<LimitSpec, RateTerms> rates = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<LimitSpec, long[]> windows = new ConcurrentHashMap<>();
  private final @Nullable LongSupplier pinnedMicros;
  private final Clock jvmClock;
  private volatile long serverOffsetMillis;

  private final ArrayDeque<QueuedSettlement> queue = new ArrayDeque<>();
  private long replayed;
  private long dropped;
  private boolean outage;
  private @Nullable ScheduledExecutorService replayer;
  private boolean closed;

  private RedisTokenLimitStore(Builder b) {
    this.connection = b.connection;
    this.keyBase = connection.keyPrefix() + HASH_TAG + ":";
    this.leaseMillis = Long.toString(Math.max(1, b.inFlightLease.toMillis()));
    this.settlementWindowMillis = Long.toString(Math.max(1, b.settlementWindow.toMillis()));
    this.queueBound = b.settlementQueueBound;
    this.pinnedMicros = b.pinnedMicros;
    this.jvmClock = b.jvmClock;
    byte[] random = new byte[8];
    new SecureRandom().nextBytes(random);
    this.idPrefix = Long.toUnsignedString(java.nio.ByteBuffer.wrap(random).getLong(), 36) + ".";
  }

  /** A builder for a store on {@code connection}. */
  public static Builder builder(RedisConnection connection) {
    return new Builder(connection);
  }

  /**
   * Settlements that could not be applied because Redis was unreachable: how many wait for replay,
   * how many were replayed, and how many were dropped (the queue was full, or Redis refused one).
   *
   * @param pending queued, not yet applied
   * @param replayed applied later, once Redis answered again
   * @param dropped never applied: the oldest, pushed out of a full queue, or refused by Redis
   */
  public record Settlements(int pending, long replayed, long dropped) {}

  /** The queue of settlements Redis did not take, as counts. */
  public Settlements settlements() {
    synchronized (queue) {
      return new Settlements(queue.size(), replayed, dropped);
    }
  }

  // ---------------------------------------------------------------- reserve

  /**
   * Reserves every charge or none, in one script run on Redis; see {@link TokenLimitStore#reserve}.
   *
   * @throws RedisStoreException when Redis is unreachable, does not answer within the command
   *     timeout or refuses the script (out of memory): nothing was charged
   */
  @Override
  public ReserveResult reserve(List<LimitCharge> charges) {
    if (charges.isEmpty()) {
      return ReserveResult.admitted(Reservation.EMPTY, List.of());
    }
    List<LimitCharge> taken = List.copyOf(charges);
    int n = taken.size();
    String[] chargeKeys = new String[n];
    int[] counterOf = new int[n];
    int[] slots = new int[n];
    List<String> counterKeys = new ArrayList<>(n);
    List<LimitSpec> counterSpecs = new ArrayList<>(n);
    long[] together = new long[n];
    int[] slotCount = new int[n];
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
    int counters = counterKeys.size();
    String id = idPrefix + Long.toString(sequence.incrementAndGet(), 36);
    String[] keys = new String[1 + counters];
    keys[0] = keyBase + "p:" + id;
    for (int c = 0; c < counters; c++) {
      keys[1 + c] = counterKeys.get(c);
    }
    long at = estimateMillis();
    long[][] candidates = new long[counters][];
    for (int attempt = 1; ; attempt++) {
      String pinned = pinnedArgument();
      String[] args = new String[5 + 7 * counters];
      args[0] = id;
      args[1] = pinned;
      args[2] = leaseMillis;
      args[3] = settlementWindowMillis;
      args[4] = Integer.toString(counters);
      for (int c = 0; c < counters; c++) {
        LimitSpec spec = counterSpecs.get(c);
        int base = 5 + 7 * c;
        long sum = together[c];
        long threshold = sum == BEYOND_LONG ? -1 : spec.capacity() - Math.max(1, sum);
        args[base] = kindCode(spec);
        args[base + 1] = Long.toString(spec.kind() == LimitSpec.Kind.IN_FLIGHT ? 0 : sum);
        args[base + 2] = Long.toString(threshold);
        switch (spec.kind()) {
          case RATE -> {
            RateTerms terms = terms(spec);
            args[base + 3] = terms.q();
            args[base + 4] = terms.r();
            args[base + 5] = terms.bText();
            args[base + 6] = terms.microsPerUnit();
          }
          case QUOTA -> {
            long[] w = candidateWindows(spec, at);
            candidates[c] = w;
            for (int j = 0; j < 4; j++) {
              args[base + 3 + j] = Long.toString(w[j]);
            }
          }
          case IN_FLIGHT -> {
            args[base + 3] = Integer.toString(slotCount[c]);
            args[base + 4] = "0";
            args[base + 5] = "0";
            args[base + 6] = "0";
          }
        }
      }
      List<Long> reply;
      try {
        reply = RESERVE.run(connection.strings().sync(), keys, args);
      } catch (RedisException e) {
        throw failure("reserve", e);
      }
      long status = reply.get(0);
      long nowMicros = reply.get(1);
      learnServerTime(nowMicros);
      if (status == 2) {
        if (attempt >= ATTEMPTS) {
          throw new IllegalStateException(
              "Redis token limit store: no quota window holds the server's time "
                  + Instant.ofEpochMilli(Math.floorDiv(nowMicros, 1000)));
        }
        at = Math.floorDiv(nowMicros, 1000); // this JVM's clock is off: windows around Redis's
        continue;
      }
      return result(
          status == 1,
          taken,
          counterOf,
          together,
          reply,
          candidates,
          nowMicros,
          new RedisReservationParts(id, chargeKeys, slots));
    }
  }

  private record RedisReservationParts(String id, String[] keys, int[] slots) {}

  private ReserveResult result(
      boolean admitted,
      List<LimitCharge> taken,
      int[] counterOf,
      long[] together,
      List<Long> reply,
      long[][] candidates,
      long nowMicros,
      RedisReservationParts parts) {
    int n = taken.size();
    List<Long> remaining = new ArrayList<>(n);
    long[] windowStarts = new long[n];
    long[] windowEnds = new long[n];
    LimitCharge rejectedBy = null;
    Duration retryAfter = null;
    for (int i = 0; i < n; i++) {
      LimitCharge charge = taken.get(i);
      LimitSpec spec = charge.limit();
      int c = counterOf[i];
      long used = reply.get(2 + 2 * c);
      long aux = reply.get(3 + 2 * c);
      long left = spec.capacity() - used; // capacity > 0 and used >= 0: no overflow
      long sum = together[c];
      if (spec.kind() == LimitSpec.Kind.QUOTA) {
        windowStarts[i] = candidates[c][(int) aux];
        windowEnds[i] = candidates[c][(int) aux + 1];
      }
      if (admitted) {
        remaining.add(saturatedSubtract(left, sum));
        continue;
      }
      remaining.add(left);
      long required = sum == BEYOND_LONG ? Long.MAX_VALUE : Math.max(1, sum);
      boolean fits = sum != BEYOND_LONG && left >= required;
      if (!fits && (rejectedBy == null || precedence(charge) > precedence(rejectedBy))) {
        rejectedBy = charge;
        retryAfter =
            switch (spec.kind()) {
              case RATE -> terms(spec).waitFor(spec, used, aux, required);
              case QUOTA ->
                  Duration.ofMillis(Math.max(0, windowEnds[i] - Math.floorDiv(nowMicros, 1000)));
              case IN_FLIGHT -> Duration.ZERO;
            };
      }
    }
    if (admitted) {
      return ReserveResult.admitted(
          new RedisReservation(
              this, parts.id(), taken, parts.keys(), windowStarts, windowEnds, parts.slots()),
          remaining);
    }
    if (rejectedBy == null) {
      // Redis compared in doubles what this JVM compares exactly: only beyond 2^53 can they differ.
      rejectedBy = taken.get(0);
      retryAfter = Duration.ZERO;
    }
    return ReserveResult.rejected(rejectedBy, retryAfter, remaining);
  }

  /** A spent quota (403) before a busy rate (429) before a full in-flight limit, as in memory. */
  private static int precedence(LimitCharge charge) {
    return switch (charge.limit().kind()) {
      case QUOTA -> 2;
      case RATE -> 1;
      case IN_FLIGHT -> 0;
    };
  }

  // ---------------------------------------------------------------- settle

  /**
   * Settles a reservation this store made, once, in one script run on Redis; see {@link
   * TokenLimitStore#settle}. When Redis cannot be reached the settlement is queued and replayed
   * later (it is still applied once: the marker in Redis decides), so this method then returns
   * normally.
   *
   * @throws IllegalArgumentException for a reservation of another store, or amounts that do not fit
   *     its charges; nothing changes then
   * @throws RedisStoreException when Redis refuses the settlement for another reason than being
   *     unreachable
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
    try {
      apply(own, deltas);
    } catch (RedisException e) {
      if (!unreachable(e)) {
        throw failure("settle", e);
      }
      enqueue(new QueuedSettlement(own, deltas), e);
    }
  }

  /** Runs the settlement script: one round trip (two when this JVM's clock missed the window). */
  private void apply(RedisReservation r, long[] deltas) {
    int n = r.charges.size();
    String[] keys = new String[1 + n];
    keys[0] = keyBase + "p:" + r.id;
    System.arraycopy(r.keys, 0, keys, 1, n);
    long at = estimateMillis();
    for (int attempt = 1; ; attempt++) {
      String[] args = new String[3 + 8 * n];
      args[0] = r.id;
      args[1] = pinnedArgument();
      args[2] = Integer.toString(n);
      for (int i = 0; i < n; i++) {
        LimitSpec spec = r.charges.get(i).limit();
        int base = 3 + 8 * i;
        args[base] = kindCode(spec);
        args[base + 1] = Long.toString(deltas[i]);
        for (int j = 2; j < 8; j++) {
          args[base + j] = "0";
        }
        switch (spec.kind()) {
          case RATE -> {
            RateTerms terms = terms(spec);
            args[base + 2] = terms.q();
            args[base + 3] = terms.r();
            args[base + 4] = terms.bText();
            args[base + 5] = terms.microsPerUnit();
          }
          case QUOTA -> {
            args[base + 2] = Long.toString(r.windowStarts[i]);
            args[base + 3] = Long.toString(r.windowEnds[i]);
            long[] w = candidateWindows(spec, at);
            for (int j = 0; j < 4; j++) {
              args[base + 4 + j] = Long.toString(w[j]);
            }
          }
          case IN_FLIGHT -> args[base + 2] = r.id + ":" + r.slots[i];
        }
      }
      List<Long> reply = SETTLE.run(connection.strings().sync(), keys, args);
      long nowMicros = reply.get(1);
      learnServerTime(nowMicros);
      if (reply.get(0) != 2) {
        return;
      }
      if (attempt >= ATTEMPTS) {
        throw new IllegalStateException(
            "Redis token limit store: no quota window holds the server's time "
                + Instant.ofEpochMilli(Math.floorDiv(nowMicros, 1000)));
      }
      at = Math.floorDiv(nowMicros, 1000);
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
   *     timeout
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
            long[] w = candidateWindows(spec, at);
            candidates[i] = w;
            for (int j = 0; j < 4; j++) {
              args[base + 1 + j] = Long.toString(w[j]);
            }
          }
          case IN_FLIGHT -> {}
        }
      }
      List<Long> reply;
      try {
        reply = PEEK.run(connection.strings().sync(), keys, args);
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

  // ---------------------------------------------------------------- settlement replay

  private record QueuedSettlement(RedisReservation reservation, long[] deltas) {}

  private void enqueue(QueuedSettlement settlement, RedisException cause) {
    boolean firstOfOutage;
    int size;
    synchronized (queue) {
      if (queue.size() >= queueBound) {
        queue.pollFirst();
        dropped++;
      }
      queue.addLast(settlement);
      firstOfOutage = !outage;
      outage = true;
      size = queue.size();
      if (replayer == null && !closed) {
        replayer =
            Executors.newSingleThreadScheduledExecutor(
                task -> {
                  Thread thread = new Thread(task, "aigateway-redis-settlement-replay");
                  thread.setDaemon(true);
                  return thread;
                });
        replayer.scheduleWithFixedDelay(this::replay, 100, 100, TimeUnit.MILLISECONDS);
      }
    }
    if (firstOfOutage) {
      LOG.warn(
          "Redis token limit store: Redis at {} did not take a settlement ({}); settlements are"
              + " queued (at most {}, now {}) and replayed once it answers again",
          connection.address(),
          cause.getMessage(),
          queueBound,
          size);
    }
  }

  /** Applies queued settlements oldest first, until one fails because Redis is still away. */
  void replay() {
    while (true) {
      QueuedSettlement next;
      synchronized (queue) {
        next = queue.peekFirst();
        if (next == null) {
          if (outage) {
            outage = false;
            LOG.info(
                "Redis token limit store: Redis at {} answers again; queued settlements replayed"
                    + " ({} in all, {} dropped)",
                connection.address(),
                replayed,
                dropped);
          }
          return;
        }
      }
      boolean applied;
      try {
        apply(next.reservation(), next.deltas());
        applied = true;
      } catch (RedisException e) {
        if (unreachable(e)) {
          return; // still away: try again on the next tick
        }
        applied = false;
        LOG.warn(
            "Redis token limit store: Redis at {} refused a queued settlement of {}, dropped: {}",
            connection.address(),
            next.reservation().id,
            e.getMessage());
      } catch (RuntimeException e) {
        applied = false;
        LOG.warn(
            "Redis token limit store: a queued settlement of {} failed, dropped: {}",
            next.reservation().id,
            e.toString());
      }
      synchronized (queue) {
        if (queue.peekFirst() == next) {
          queue.pollFirst();
          if (applied) {
            replayed++;
          } else {
            dropped++;
          }
        }
      }
    }
  }

  /** Stops replaying queued settlements; the connection stays open. */
  @Override
  public void close() {
    ScheduledExecutorService stop;
    int left;
    synchronized (queue) {
      closed = true;
      stop = replayer;
      replayer = null;
      left = queue.size();
    }
    if (stop != null) {
      stop.shutdownNow();
    }
    if (left > 0) {
      LOG.warn(
          "Redis token limit store closed with {} settlements not yet applied to Redis at {}",
          left,
          connection.address());
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Whether a failure means Redis could not be reached or could not answer now. */
  static boolean unreachable(RedisException e) {
    if (e instanceof RedisBusyException || e instanceof RedisLoadingException) {
      return true;
    }
    return !(e instanceof RedisCommandExecutionException); // else Redis answered with an error
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
    String stem = stems.get(spec);
    if (stem == null) {
      String id = spec.id();
      stem =
          stems.computeIfAbsent(
              spec, s -> keyBase + kindCode(s) + ":" + id.length() + ":" + id + ":");
    }
    return stem + counterKey;
  }

  private RateTerms terms(LimitSpec rate) {
    RateTerms terms = rates.get(rate);
    return terms != null ? terms : rates.computeIfAbsent(rate, RateTerms::of);
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
  private long[] candidateWindows(LimitSpec quota, long atMillis) {
    long[] cached = windows.get(quota);
    if (cached != null && cached[1] <= atMillis && atMillis < cached[2]) {
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
    windows.put(quota, bounds);
    return bounds;
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

    private Builder(RedisConnection connection) {
      this.connection = Objects.requireNonNull(connection, "connection");
    }

    /**
     * How long an in-flight slot is held at most (default 10 minutes): a slot whose call is never
     * settled (its JVM died) is free again after this, on the Redis server's clock. Choose it
     * longer than the longest call you make: a call still running after it no longer counts.
     */
    public Builder inFlightLease(Duration lease) {
      this.inFlightLease = Settings.atLeastOneMilli("inFlightLease", lease);
      return this;
    }

    /**
     * How long a reservation can still be settled (default 24 hours): its pending marker in Redis
     * lives this long, and a settlement that comes later (queued through a longer outage) changes
     * nothing.
     */
    public Builder settlementWindow(Duration window) {
      this.settlementWindow = Settings.atLeastOneMilli("settlementWindow", window);
      return this;
    }

    /**
     * How many settlements are kept for replay while Redis cannot be reached (default 10,000);
     * beyond it the oldest are dropped and counted in {@link #settlements()}.
     */
    public Builder settlementQueueBound(int bound) {
      Settings.atLeast("settlementQueueBound", bound, 1);
      this.settlementQueueBound = bound;
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

    /** Test only: this JVM's clock, which only proposes quota windows (default: the system's). */
    Builder jvmClock(Clock clock) {
      this.jvmClock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Builds the store; nothing is sent to Redis until the first call. */
    public RedisTokenLimitStore build() {
      return new RedisTokenLimitStore(this);
    }
  }
}
