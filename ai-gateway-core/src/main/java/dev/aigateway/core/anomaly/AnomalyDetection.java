package dev.aigateway.core.anomaly;

import dev.aigateway.api.AnomalySignal;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Consumer anomaly detection's configuration: which signals are learnt per consumer, how far from
 * its baseline a consumer must go to be judged anomalous, what is then done, and for how long.
 * Immutable; set on a gateway with {@code AiGateway.Builder.anomalyDetection(..)}.
 *
 * <pre>{@code
 * AiGateway gateway = AiGateway.builder()
 *     .consumerKey(KeyResolvers.header("x-consumer-id"))
 *     .anomalyDetection(AnomalyDetection.builder()
 *         .action(AnomalySignal.REQUEST_RATE, AnomalyAction.THROTTLE)
 *         .action(AnomalySignal.ERROR_RATE, AnomalyAction.FLAG)
 *         .actionDuration(Duration.ofMinutes(10)))
 *     .build();
 * gateway.anomalies().inventory();  // consumers, recent usage, state and why
 * }</pre>
 *
 * <h2>The model</h2>
 *
 * <p>Time is cut into fixed buckets of {@link #bucket()} (default 1 minute) on the gateway's clock.
 * Per consumer the gateway counts, in the current and the previous bucket: calls (including those
 * it refused for the consumer's state), tokens used, failed calls, calls its other stages refused,
 * input tokens, and the models asked for. From these come the six {@link AnomalySignal}s, rates
 * expressed per minute.
 *
 * <ul>
 *   <li><b>Baseline.</b> When a bucket closes in which the consumer made at least one call and was
 *       {@code NORMAL} throughout, each signal's value for that bucket updates an exponentially
 *       weighted mean and variance: {@code d = x - mean; mean += a*d; var = (1-a)*(var + a*d*d)},
 *       with {@code a = max(2/(N+1), 1/n)} for the n-th sample and N = {@link #baselineBuckets()}
 *       (default 30): the first samples weigh equally (a running mean), later ones decay with a
 *       window of about N buckets. Idle buckets are not samples, so the baseline describes the
 *       consumer while active. Shares of calls (error and rejection rate) and prompt size are
 *       sampled only from buckets with at least {@link #minCallsForShares()} calls.
 *   <li><b>Judgement.</b> After every call the consumer's recent value of each signal (the current
 *       bucket plus the previous one weighted by the part of it still inside one bucket's width: a
 *       sliding window) is compared with its threshold {@code max(mean + z*sd, ratio*mean, floor)};
 *       above it the consumer is anomalous on that signal. Only rises count. A signal is judged
 *       only once its baseline has {@link #minSamples()} samples (the warm-up, default 10 active
 *       buckets), so new consumers are learnt, not judged.
 *   <li><b>Action.</b> The most severe action among the signals above their threshold is taken
 *       ({@code BLOCK} over {@code THROTTLE} over {@code FLAG}) for {@link #actionDuration()}. A
 *       restricted consumer can be escalated to a more severe state, never lowered but by release.
 *       While restricted, its buckets are not learnt, so a flood never becomes its baseline.
 *   <li><b>Throttle.</b> A throttled consumer gets a local request bucket and token bucket refilled
 *       at its baseline request and token rates times {@link #throttleFactor()} (at least one call
 *       per bucket), each holding one bucket's worth; a call needs one request and a token balance
 *       above zero, and is charged its actual tokens when it ends. Local to this gateway instance,
 *       whatever the token store.
 *   <li><b>Release (hysteresis).</b> When the duration is up, an automatic restriction ends only if
 *       every judged signal is back at or below its release level, {@code mean + releaseFraction *
 *       (threshold - mean)} (default halfway); otherwise it is extended by one bucket and checked
 *       again. A manual block ends when its duration is up. Operators release at any time.
 * </ul>
 *
 * <p>Memory is bounded: a consumer's profile is a fixed set of counters and at most {@value
 * #MAX_TRACKED_MODELS} model names per bucket; at most {@link #maxConsumers()} profiles are kept,
 * and a consumer idle for {@link #idleEviction()} is dropped (its baseline relearnt when it
 * returns). A restriction outlives its profile's eviction.
 */
public final class AnomalyDetection {

  /** The default time bucket: one minute. */
  public static final Duration DEFAULT_BUCKET = Duration.ofMinutes(1);

  /** The default window of the baseline, in buckets. */
  public static final int DEFAULT_BASELINE_BUCKETS = 30;

  /** The default number of learnt buckets before a signal is judged. */
  public static final int DEFAULT_MIN_SAMPLES = 10;

  /** The default number of calls a bucket needs before shares of calls and prompt size count. */
  public static final int DEFAULT_MIN_CALLS_FOR_SHARES = 10;

  /** The default number of standard deviations above the mean a value must exceed. */
  public static final double DEFAULT_Z_SCORE = 4.0;

  /** The default multiple of the mean a value must exceed. */
  public static final double DEFAULT_RATIO = 3.0;

  /** The default time a consumer stays flagged, throttled or blocked: 10 minutes. */
  public static final Duration DEFAULT_ACTION_DURATION = Duration.ofMinutes(10);

  /** The default multiple of its baseline rates a throttled consumer keeps. */
  public static final double DEFAULT_THROTTLE_FACTOR = 1.0;

  /** The default release level, as a fraction of the way from the baseline to the threshold. */
  public static final double DEFAULT_RELEASE_FRACTION = 0.5;

  /** The default number of consumers whose profiles are kept. */
  public static final int DEFAULT_MAX_CONSUMERS = 10_000;

  /** The default idle time after which a consumer's profile is dropped: one day. */
  public static final Duration DEFAULT_IDLE_EVICTION = Duration.ofDays(1);

  /** The most model names counted per consumer and bucket; more count as this many. */
  public static final int MAX_TRACKED_MODELS = 32;

  static final AnomalySignal[] SIGNALS = AnomalySignal.values();

  private final Duration bucket;
  private final int baselineBuckets;
  private final int minSamples;
  private final int minCallsForShares;
  private final double[] zScores;
  private final double[] ratios;
  private final double[] floors;
  private final AnomalyAction[] actions;
  private final Set<AnomalySignal> signals;
  private final Duration actionDuration;
  private final double throttleFactor;
  private final double releaseFraction;
  private final int maxConsumers;
  private final Duration idleEviction;

  private AnomalyDetection(Builder b) {
    this.bucket = b.bucket;
    this.baselineBuckets = b.baselineBuckets;
    this.minSamples = b.minSamples;
    this.minCallsForShares = b.minCallsForShares;
    this.zScores = b.zScores.clone();
    this.ratios = b.ratios.clone();
    this.floors = b.floors.clone();
    this.actions = b.actions.clone();
    this.signals = Set.copyOf(b.signals);
    this.actionDuration = b.actionDuration;
    this.throttleFactor = b.throttleFactor;
    this.releaseFraction = b.releaseFraction;
    this.maxConsumers = b.maxConsumers;
    this.idleEviction = b.idleEviction;
  }

  /** A builder with the defaults named by the constants of this class. */
  public static Builder builder() {
    return new Builder();
  }

  /** The detection with every default. */
  public static AnomalyDetection defaults() {
    return builder().build();
  }

  /** The width of a time bucket. */
  public Duration bucket() {
    return bucket;
  }

  /** The baseline's window in buckets (N in the weight {@code 2/(N+1)}). */
  public int baselineBuckets() {
    return baselineBuckets;
  }

  /** Learnt buckets a signal needs before the consumer is judged on it. */
  public int minSamples() {
    return minSamples;
  }

  /** Calls a bucket needs before its shares of calls and its prompt size are learnt or judged. */
  public int minCallsForShares() {
    return minCallsForShares;
  }

  /** The signals learnt and judged. */
  public Set<AnomalySignal> signals() {
    return signals;
  }

  /** Standard deviations above its baseline {@code signal} must exceed. */
  public double zScore(AnomalySignal signal) {
    return zScores[signal.ordinal()];
  }

  /** The multiple of its baseline {@code signal} must exceed. */
  public double ratio(AnomalySignal signal) {
    return ratios[signal.ordinal()];
  }

  /** The value {@code signal} must exceed whatever its baseline, in its unit. */
  public double floor(AnomalySignal signal) {
    return floors[signal.ordinal()];
  }

  /** What is done with a consumer anomalous on {@code signal}. */
  public AnomalyAction action(AnomalySignal signal) {
    return actions[signal.ordinal()];
  }

  /** How long an automatic restriction lasts at least. */
  public Duration actionDuration() {
    return actionDuration;
  }

  /** The multiple of its baseline rates a throttled consumer keeps. */
  public double throttleFactor() {
    return throttleFactor;
  }

  /** Where the release level lies between the baseline (0) and the threshold (1). */
  public double releaseFraction() {
    return releaseFraction;
  }

  /** The most consumers whose profiles are kept. */
  public int maxConsumers() {
    return maxConsumers;
  }

  /** How long a consumer may be idle before its profile is dropped. */
  public Duration idleEviction() {
    return idleEviction;
  }

  @Override
  public String toString() {
    StringBuilder s =
        new StringBuilder("AnomalyDetection{bucket=")
            .append(bucket)
            .append(", baselineBuckets=")
            .append(baselineBuckets)
            .append(", minSamples=")
            .append(minSamples)
            .append(", actionDuration=")
            .append(actionDuration)
            .append(", signals=[");
    String separator = "";
    for (AnomalySignal signal : SIGNALS) {
      if (signals.contains(signal)) {
        s.append(separator)
            .append(
                String.format(
                    Locale.ROOT,
                    "%s: z %.1f, ratio %.1f, floor %.3g -> %s",
                    signal.label(),
                    zScore(signal),
                    ratio(signal),
                    floor(signal),
                    action(signal)));
        separator = "; ";
      }
    }
    return s.append("]}").toString();
  }

  /** Builds an {@link AnomalyDetection}; settings are checked as they are made. */
  public static final class Builder {
    private Duration bucket = DEFAULT_BUCKET;
    private int baselineBuckets = DEFAULT_BASELINE_BUCKETS;
    private int minSamples = DEFAULT_MIN_SAMPLES;
    private int minCallsForShares = DEFAULT_MIN_CALLS_FOR_SHARES;
    private final double[] zScores = new double[SIGNALS.length];
    private final double[] ratios = new double[SIGNALS.length];
    private final double[] floors = new double[SIGNALS.length];
    private final AnomalyAction[] actions = new AnomalyAction[SIGNALS.length];
    private final EnumSet<AnomalySignal> signals = EnumSet.allOf(AnomalySignal.class);
    private Duration actionDuration = DEFAULT_ACTION_DURATION;
    private double throttleFactor = DEFAULT_THROTTLE_FACTOR;
    private double releaseFraction = DEFAULT_RELEASE_FRACTION;
    private int maxConsumers = DEFAULT_MAX_CONSUMERS;
    private Duration idleEviction = DEFAULT_IDLE_EVICTION;

    private Builder() {
      Arrays.fill(zScores, DEFAULT_Z_SCORE);
      Arrays.fill(ratios, DEFAULT_RATIO);
      for (AnomalySignal signal : SIGNALS) {
        floors[signal.ordinal()] = defaultFloor(signal);
        actions[signal.ordinal()] = defaultAction(signal);
      }
    }

    /**
     * The default floor of a signal: 20,000 tokens/min, 30 calls/min, half of the calls failed or
     * refused, 2,000 input tokens per call, 3 models.
     */
    public static double defaultFloor(AnomalySignal signal) {
      return switch (signal) {
        case TOKEN_RATE -> 20_000;
        case REQUEST_RATE -> 30;
        case ERROR_RATE, REJECTION_RATE -> 0.5;
        case PROMPT_SIZE -> 2_000;
        case DISTINCT_MODELS -> 3;
      };
    }

    /**
     * The default action of a signal: {@link AnomalyAction#THROTTLE} for the token and request
     * rates (a throttle answers a flood), {@link AnomalyAction#FLAG} for the others (errors,
     * refusals, large prompts and new models deserve a look before anything is refused).
     */
    public static AnomalyAction defaultAction(AnomalySignal signal) {
      return signal == AnomalySignal.TOKEN_RATE || signal == AnomalySignal.REQUEST_RATE
          ? AnomalyAction.THROTTLE
          : AnomalyAction.FLAG;
    }

    /** The width of a time bucket (default 1 minute), from 1 second to 1 hour. */
    public Builder bucket(Duration width) {
      Objects.requireNonNull(width, "width");
      if (width.compareTo(Duration.ofSeconds(1)) < 0 || width.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("bucket must be between 1 s and 1 h but was " + width);
      }
      this.bucket = width;
      return this;
    }

    /** The baseline's window in buckets (default 30), at least 1. */
    public Builder baselineBuckets(int buckets) {
      if (buckets < 1) {
        throw new IllegalArgumentException("baselineBuckets must be >= 1 but was " + buckets);
      }
      this.baselineBuckets = buckets;
      return this;
    }

    /** Learnt buckets a signal needs before the consumer is judged on it (default 10), >= 2. */
    public Builder minSamples(int samples) {
      if (samples < 2) {
        throw new IllegalArgumentException(
            "minSamples must be >= 2 (one sample has no deviation) but was " + samples);
      }
      this.minSamples = samples;
      return this;
    }

    /**
     * Calls a bucket needs before its error and rejection shares and its prompt size are learnt or
     * judged (default 10), at least 1.
     */
    public Builder minCallsForShares(int calls) {
      if (calls < 1) {
        throw new IllegalArgumentException("minCallsForShares must be >= 1 but was " + calls);
      }
      this.minCallsForShares = calls;
      return this;
    }

    /**
     * How far above its baseline {@code signal} must go: more than {@code zScore} standard
     * deviations above the mean and more than {@code ratio} times the mean (and above the floor).
     *
     * @param zScore at least 0
     * @param ratio at least 1
     */
    public Builder sensitivity(AnomalySignal signal, double zScore, double ratio) {
      Objects.requireNonNull(signal, "signal");
      if (!(zScore >= 0) || Double.isInfinite(zScore)) {
        throw new IllegalArgumentException(
            "zScore of " + signal + " must be finite and >= 0 but was " + zScore);
      }
      if (!(ratio >= 1) || Double.isInfinite(ratio)) {
        throw new IllegalArgumentException(
            "ratio of " + signal + " must be finite and >= 1 but was " + ratio);
      }
      zScores[signal.ordinal()] = zScore;
      ratios[signal.ordinal()] = ratio;
      return this;
    }

    /**
     * Sets the same sensitivity on every signal; see {@link #sensitivity(AnomalySignal, double,
     * double)}.
     */
    public Builder sensitivity(double zScore, double ratio) {
      for (AnomalySignal signal : SIGNALS) {
        sensitivity(signal, zScore, ratio);
      }
      return this;
    }

    /**
     * The value {@code signal} must exceed to be anomalous whatever its baseline, in its unit
     * (defaults: {@link #defaultFloor}), so a tiny baseline does not trigger on noise. A share of
     * calls takes a floor from 0 to 1.
     */
    public Builder floor(AnomalySignal signal, double floor) {
      Objects.requireNonNull(signal, "signal");
      if (!(floor >= 0) || Double.isInfinite(floor) || (signal.ratio() && floor > 1)) {
        throw new IllegalArgumentException(
            "floor of "
                + signal
                + " must be "
                + (signal.ratio() ? "between 0 and 1" : "finite and >= 0")
                + " but was "
                + floor);
      }
      floors[signal.ordinal()] = floor;
      return this;
    }

    /**
     * What is done with a consumer anomalous on {@code signal} (defaults: {@link #defaultAction}).
     */
    public Builder action(AnomalySignal signal, AnomalyAction action) {
      actions[Objects.requireNonNull(signal, "signal").ordinal()] =
          Objects.requireNonNull(action, "action");
      return this;
    }

    /** Sets the same action on every signal. */
    public Builder action(AnomalyAction action) {
      Objects.requireNonNull(action, "action");
      Arrays.fill(actions, action);
      return this;
    }

    /**
     * Learns and judges only these signals (default: all). The request rate's baseline is learnt
     * whatever the signals, since a throttle holds the consumer to it, but it is judged and listed
     * only when it is one of them.
     */
    public Builder signals(AnomalySignal... signals) {
      if (signals.length == 0) {
        throw new IllegalArgumentException(
            "signals must name at least one signal; to turn detection off, do not configure it");
      }
      this.signals.clear();
      for (AnomalySignal signal : signals) {
        this.signals.add(Objects.requireNonNull(signal, "signal"));
      }
      return this;
    }

    /**
     * How long an automatic restriction lasts at least (default 10 minutes), from 1 s to 30 days.
     */
    public Builder actionDuration(Duration duration) {
      Objects.requireNonNull(duration, "duration");
      if (duration.compareTo(Duration.ofSeconds(1)) < 0
          || duration.compareTo(Duration.ofDays(30)) > 0) {
        throw new IllegalArgumentException(
            "actionDuration must be between 1 s and 30 days but was " + duration);
      }
      this.actionDuration = duration;
      return this;
    }

    /**
     * The multiple of its baseline request and token rates a throttled consumer keeps (default 1.0:
     * its usual rates, no more), above 0 and at most 100.
     */
    public Builder throttleFactor(double factor) {
      if (!(factor > 0) || factor > 100) {
        throw new IllegalArgumentException(
            "throttleFactor must be above 0 and at most 100 but was " + factor);
      }
      this.throttleFactor = factor;
      return this;
    }

    /**
     * Where a signal's release level lies, from its baseline (0) to its threshold (1); default 0.5.
     * Lower makes release harder (more hysteresis).
     */
    public Builder releaseFraction(double fraction) {
      if (!(fraction >= 0) || fraction > 1) {
        throw new IllegalArgumentException(
            "releaseFraction must be between 0 and 1 but was " + fraction);
      }
      this.releaseFraction = fraction;
      return this;
    }

    /** The most consumers whose profiles are kept (default 10,000), at least 1. */
    public Builder maxConsumers(int consumers) {
      if (consumers < 1) {
        throw new IllegalArgumentException("maxConsumers must be >= 1 but was " + consumers);
      }
      this.maxConsumers = consumers;
      return this;
    }

    /** How long a consumer may be idle before its profile is dropped (default 1 day), >= 1 min. */
    public Builder idleEviction(Duration idle) {
      Objects.requireNonNull(idle, "idle");
      if (idle.compareTo(Duration.ofMinutes(1)) < 0) {
        throw new IllegalArgumentException("idleEviction must be at least 1 min but was " + idle);
      }
      this.idleEviction = idle;
      return this;
    }

    /** Builds the configuration. */
    public AnomalyDetection build() {
      return new AnomalyDetection(this);
    }
  }
}
