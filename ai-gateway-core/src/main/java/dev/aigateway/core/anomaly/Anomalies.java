package dev.aigateway.core.anomaly;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.aigateway.api.AnomalySignal;
import dev.aigateway.api.ConsumerSnapshot;
import dev.aigateway.api.ConsumerState;
import dev.aigateway.api.ConsumerTransition;
import dev.aigateway.api.SignalReading;
import dev.aigateway.core.anomaly.ConsumerProfile.Verdict;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A gateway's running anomaly detection ({@code gateway.anomalies()}): the consumers it tracks,
 * with their recent usage, baseline, state and why, and the operator's controls (block, release,
 * forget). Thread-safe; every change of a consumer's state reaches the gateway's listeners as a
 * {@link ConsumerTransition}.
 *
 * <pre>{@code
 * Anomalies anomalies = gateway.anomalies();
 * anomalies.block("team-x", "leaked key, rotating it", Duration.ofHours(1));
 * anomalies.inventory().forEach(c -> System.out.println(c.consumer() + " " + c.state()));
 * anomalies.release("team-x");
 * }</pre>
 */
public final class Anomalies {

  private static final Duration MAX_BLOCK = Duration.ofDays(365);
  private static final Comparator<ConsumerSnapshot> SEVERITY_THEN_ID =
      Comparator.comparing(ConsumerSnapshot::state)
          .reversed()
          .thenComparing(ConsumerSnapshot::consumer);

  private final AnomalyDetection config;
  private final Clock clock;
  private final Consumer<ConsumerTransition> transitions;
  private final long widthMillis;
  private final long durationMillis;
  private final Cache<String, ConsumerProfile> profiles;
  private final Function<String, ConsumerProfile> newProfile;
  // The consumers in a state other than normal: the only map an admission looks in.
  private final ConcurrentHashMap<String, Restriction> restrictions = new ConcurrentHashMap<>();
  private final AtomicLong nextSweep = new AtomicLong(Long.MIN_VALUE);

  /**
   * The detection for one gateway.
   *
   * @param clock the gateway's clock: buckets, durations and timestamps
   * @param transitions told of every change of a consumer's state
   */
  public Anomalies(AnomalyDetection config, Clock clock, Consumer<ConsumerTransition> transitions) {
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.transitions = Objects.requireNonNull(transitions, "transitions");
    this.widthMillis = config.bucket().toMillis();
    this.durationMillis = config.actionDuration().toMillis();
    this.profiles =
        Caffeine.newBuilder()
            .maximumSize(config.maxConsumers())
            .expireAfterAccess(config.idleEviction())
            .ticker(ticker(clock))
            .executor(Runnable::run) // evictions on the calling thread: no pool, deterministic
            .build();
    this.newProfile = consumer -> new ConsumerProfile(config, clock.millis());
  }

  /**
   * Caffeine's ticker on the gateway's clock: nanoseconds since this detection was made, saturated
   * at the bounds of a long, so that no clock, however far from the epoch or however it steps,
   * makes the ticker throw.
   */
  private static Ticker ticker(Clock clock) {
    long origin = clock.millis();
    return () -> {
      long now = clock.millis();
      long elapsed = now - origin;
      if (((now ^ origin) & (now ^ elapsed)) < 0) { // the difference overflows: far apart
        return now > origin ? Long.MAX_VALUE : Long.MIN_VALUE;
      }
      if (elapsed > Long.MAX_VALUE / 1_000_000L) {
        return Long.MAX_VALUE;
      }
      if (elapsed < Long.MIN_VALUE / 1_000_000L) {
        return Long.MIN_VALUE;
      }
      return elapsed * 1_000_000L;
    };
  }

  /** The configuration. */
  public AnomalyDetection config() {
    return config;
  }

  /**
   * Every tracked consumer (and every restricted one whose profile was dropped), most severe state
   * first, then by id. Restrictions that are due are reviewed first, so states are current.
   */
  public List<ConsumerSnapshot> inventory() {
    long now = clock.millis();
    // Every due restriction, not just once per bucket as calls sweep: a block that ended since the
    // last read in the same bucket must not be listed as still in force.
    reviewDue(now);
    sweep(now);
    TreeSet<String> ids = new TreeSet<>(profiles.asMap().keySet());
    ids.addAll(restrictions.keySet());
    List<ConsumerSnapshot> snapshots = new ArrayList<>(ids.size());
    for (String id : ids) {
      ConsumerSnapshot snapshot = snapshot(id, now);
      if (snapshot != null) {
        snapshots.add(snapshot);
      }
    }
    snapshots.sort(SEVERITY_THEN_ID);
    return List.copyOf(snapshots);
  }

  /** One consumer's snapshot, or empty when it is neither tracked nor restricted. */
  public Optional<ConsumerSnapshot> consumer(String consumer) {
    Objects.requireNonNull(consumer, "consumer");
    long now = clock.millis();
    Restriction r = restrictions.get(consumer);
    if (r != null) {
      review(consumer, r, now);
    }
    return Optional.ofNullable(snapshot(consumer, now));
  }

  /**
   * Blocks a consumer's calls (403 {@code consumer_blocked}) for {@code duration}, whatever its
   * state; a block already in place (the detector's or an operator's) is replaced. It ends when the
   * duration is up, or through {@link #release}. Listeners are told once, a replaced block included
   * (a transition from {@link ConsumerState#BLOCKED} to {@link ConsumerState#BLOCKED}).
   *
   * @param reason why, for people; goes into the transition and the inventory, never into the
   *     response the consumer gets
   * @param duration from 1 ms to 365 days
   */
  public void block(String consumer, String reason, Duration duration) {
    Objects.requireNonNull(consumer, "consumer");
    Objects.requireNonNull(duration, "duration");
    if (reason == null || reason.isBlank()) {
      throw new IllegalArgumentException("reason must be non-blank but was '" + reason + "'");
    }
    if (duration.toMillis() < 1 || duration.compareTo(MAX_BLOCK) > 0) {
      throw new IllegalArgumentException(
          "duration must be between 1 ms and " + MAX_BLOCK + " but was " + duration);
    }
    long now = clock.millis();
    ConsumerTransition[] made = new ConsumerTransition[1];
    restrictions.compute(
        consumer,
        (id, old) -> {
          Restriction block =
              Restriction.of(
                  ConsumerState.BLOCKED, now, now + duration.toMillis(), null, reason, true, null);
          // A block in force (the detector's or an operator's) is replaced, which is a change the
          // listeners are told of too: its end, its reason and who holds it are new.
          made[0] =
              new ConsumerTransition(
                  id,
                  old == null ? ConsumerState.NORMAL : old.state(),
                  ConsumerState.BLOCKED,
                  block.since(),
                  block.until(),
                  null,
                  true,
                  reason);
          return block;
        });
    ConsumerProfile profile = profiles.getIfPresent(consumer);
    if (profile != null) {
      profile.taint(now);
    }
    tell(made[0]);
  }

  /**
   * Returns a consumer to {@link ConsumerState#NORMAL} now, keeping its baseline. If its usage is
   * still far from the baseline it is judged anomalous again; to accept a new level of usage as
   * normal, {@link #forget} it instead.
   *
   * @return whether it was restricted
   */
  public boolean release(String consumer) {
    Objects.requireNonNull(consumer, "consumer");
    return releaseNow(consumer, null, clock.millis(), true, "released by the operator");
  }

  /**
   * Drops what was learnt of a consumer and releases it: its baseline is learnt anew from its next
   * calls (not judged during the warm-up), so a lasting change of its usage becomes its normal.
   *
   * @return whether anything was known of it
   */
  public boolean forget(String consumer) {
    Objects.requireNonNull(consumer, "consumer");
    boolean tracked = profiles.asMap().remove(consumer) != null;
    boolean released =
        releaseNow(consumer, null, clock.millis(), true, "forgotten by the operator");
    return tracked || released;
  }

  // ---- for the anomaly stage

  /** The consumer's restriction, or null when it is normal: one map lookup, no allocation. */
  @Nullable Restriction restriction(String consumer) {
    return restrictions.get(consumer);
  }

  long now() {
    return clock.millis();
  }

  long widthMillis() {
    return widthMillis;
  }

  /**
   * The restriction in force at {@code now}: {@code r} while it is not due; when due, null if it
   * was released (automatic ones only once the consumer is calm), else the extended one.
   */
  @Nullable Restriction review(String consumer, Restriction r, long now) {
    if (now < r.untilMillis()) {
      return r;
    }
    if (r.manual()) {
      releaseNow(consumer, r, now, false, "the block's duration is up");
      return restrictions.get(consumer);
    }
    ConsumerProfile profile = profiles.getIfPresent(consumer);
    if (profile == null || profile.calm(now)) {
      releaseNow(consumer, r, now, false, "signals back below the release level");
    } else {
      restrictions.computeIfPresent(
          consumer, (id, current) -> current == r ? r.extendedTo(now + widthMillis) : current);
    }
    return restrictions.get(consumer);
  }

  /**
   * Feeds one ended call into its consumer's profile, judges the consumer, and reviews its
   * restriction when due.
   *
   * @param refused whether the anomaly stage refused the call (counted as a call only)
   * @param failed whether it failed (a backend's error status, no response, a body cut short)
   * @param rejected whether another stage of the gateway refused it
   */
  void record(
      String consumer,
      @Nullable String model,
      boolean refused,
      boolean failed,
      boolean rejected,
      long tokens,
      long inputTokens) {
    long now = clock.millis();
    ConsumerProfile profile = profiles.get(consumer, newProfile);
    Restriction r = restrictions.get(consumer);
    profile.record(now, model, refused, failed, rejected, tokens, inputTokens, r != null);
    if (r != null && r.throttle() != null && !refused) {
      r.throttle().charge(now, tokens);
    }
    if (r == null || r.state() != ConsumerState.BLOCKED) {
      Verdict verdict = profile.judge(now);
      if (verdict != null) {
        escalate(consumer, profile, verdict, now);
      }
    }
    if (r != null && now >= r.untilMillis()) {
      review(consumer, r, now);
    }
    sweep(now);
  }

  // ---- transitions

  private void escalate(String consumer, ConsumerProfile profile, Verdict verdict, long now) {
    ConsumerState to = verdict.action().state();
    ConsumerTransition[] made = new ConsumerTransition[1];
    restrictions.compute(
        consumer,
        (id, old) -> {
          ConsumerState from = old == null ? ConsumerState.NORMAL : old.state();
          if (!to.moreSevereThan(from)) {
            return old;
          }
          String reason = verdict.finding().describe();
          Restriction next =
              Restriction.of(
                  to,
                  now,
                  now + durationMillis,
                  verdict.finding(),
                  reason,
                  false,
                  to == ConsumerState.THROTTLED ? throttle(profile, now) : null);
          made[0] =
              new ConsumerTransition(
                  id, from, to, next.since(), next.until(), verdict.finding(), false, reason);
          return next;
        });
    if (made[0] != null) {
      profile.taint(now); // the bucket that tripped is not learnt
      tell(made[0]);
    }
  }

  /** A throttle at the consumer's baseline rates times the factor; at least a call per bucket. */
  private Throttle throttle(ConsumerProfile profile, long now) {
    double oneCallPerBucket = 60_000.0 / widthMillis;
    double requests =
        Math.max(
            oneCallPerBucket,
            config.throttleFactor() * profile.baseline(AnomalySignal.REQUEST_RATE));
    double tokens = config.throttleFactor() * profile.baseline(AnomalySignal.TOKEN_RATE);
    return new Throttle(requests, tokens, widthMillis, now);
  }

  /**
   * Releases the consumer: when {@code expected} is given, only if that restriction is still the
   * one in force (two threads reviewing it release it once).
   */
  private boolean releaseNow(
      String consumer, @Nullable Restriction expected, long now, boolean manual, String reason) {
    Restriction[] removed = new Restriction[1];
    restrictions.computeIfPresent(
        consumer,
        (id, current) -> {
          if (expected != null && current != expected) {
            return current;
          }
          removed[0] = current;
          return null;
        });
    if (removed[0] == null) {
      return false;
    }
    ConsumerProfile profile = profiles.getIfPresent(consumer);
    if (profile != null) {
      profile.taint(now); // the bucket of the release held restricted calls
    }
    tell(
        new ConsumerTransition(
            consumer,
            removed[0].state(),
            ConsumerState.NORMAL,
            Instant.ofEpochMilli(now),
            null,
            null,
            manual,
            reason));
    return true;
  }

  /**
   * Reviews every due restriction, at most once per bucket (on a calling thread). A next sweep more
   * than a bucket away means the clock stepped back: the sweep runs then, rather than when the
   * clock catches up again.
   */
  private void sweep(long now) {
    long due = nextSweep.get();
    boolean early = now < due && due - now > 0 && due - now <= widthMillis; // > 0: no overflow
    if (early || !nextSweep.compareAndSet(due, now + widthMillis)) {
      return;
    }
    reviewDue(now);
    profiles.cleanUp();
  }

  /** Reviews every restriction that is due at {@code now}. */
  private void reviewDue(long now) {
    for (Map.Entry<String, Restriction> entry : restrictions.entrySet()) {
      if (now >= entry.getValue().untilMillis()) {
        review(entry.getKey(), entry.getValue(), now);
      }
    }
  }

  private void tell(@Nullable ConsumerTransition transition) {
    if (transition != null) {
      transitions.accept(transition);
    }
  }

  private @Nullable ConsumerSnapshot snapshot(String consumer, long now) {
    Restriction r = restrictions.get(consumer);
    // Quietly: reading the inventory is not the consumer's activity, and must not keep it alive.
    ConsumerProfile profile = profiles.policy().getIfPresentQuietly(consumer);
    if (r == null && profile == null) {
      return null;
    }
    Map<AnomalySignal, SignalReading> readings = profile == null ? Map.of() : profile.readings(now);
    Instant lastSeen = profile == null ? r.since() : Instant.ofEpochMilli(profile.lastSeen());
    return r == null
        ? new ConsumerSnapshot(
            consumer, ConsumerState.NORMAL, null, null, null, null, false, lastSeen, readings)
        : new ConsumerSnapshot(
            consumer,
            r.state(),
            r.since(),
            r.until(),
            r.finding(),
            r.reason(),
            r.manual(),
            lastSeen,
            readings);
  }
}
