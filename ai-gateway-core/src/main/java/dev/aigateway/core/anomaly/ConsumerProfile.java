package dev.aigateway.core.anomaly;

import dev.aigateway.api.AnomalyFinding;
import dev.aigateway.api.AnomalySignal;
import dev.aigateway.api.SignalReading;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What anomaly detection knows of one consumer: the counts of its current and previous time bucket
 * and a {@link Baseline} per signal. Fixed size whatever the traffic. Every method is synchronized:
 * a consumer's calls end on many threads.
 */
final class ConsumerProfile {

  // Indices into the bucket counters.
  private static final int CALLS = 0; // every call, refused by the consumer's state or not
  private static final int JUDGED = 1; // calls that ran past the anomaly stage
  private static final int TOKENS = 2;
  private static final int ERRORS = 3;
  private static final int REJECTIONS = 4;
  private static final int INPUT_TOKENS = 5;
  private static final int INPUT_CALLS = 6;
  private static final int COUNTERS = 7;

  private static final AnomalySignal[] SIGNALS = AnomalyDetection.SIGNALS;

  private final AnomalyDetection config;
  private final long widthMillis;
  private final double perMinute;
  private final Baseline[] baselines = new Baseline[SIGNALS.length];
  // Derived from each baseline when it learns: the trigger and release levels (NaN: not judged).
  private final double[] thresholds = new double[SIGNALS.length];
  private final double[] releaseLevels = new double[SIGNALS.length];

  private long bucket = Long.MIN_VALUE;
  private long[] current = new long[COUNTERS];
  private long[] previous = new long[COUNTERS];
  // 64-bit hashes of the model names (String.hashCode collides on short names: "Aa", "BB"); not
  // the names themselves, which a request may make large.
  private long[] currentModels = new long[AnomalyDetection.MAX_TRACKED_MODELS];
  private int currentModelCount;
  private long[] previousModels = new long[AnomalyDetection.MAX_TRACKED_MODELS];
  private int previousModelCount;
  private int windowModelCount; // distinct models of the current and previous bucket together
  private boolean currentTainted; // the consumer was restricted during the current bucket
  private long lastSeen;

  ConsumerProfile(AnomalyDetection config, long now) {
    this.config = config;
    this.widthMillis = config.bucket().toMillis();
    this.perMinute = 60_000.0 / widthMillis;
    for (AnomalySignal signal : SIGNALS) {
      baselines[signal.ordinal()] = new Baseline(config.baselineBuckets());
    }
    Arrays.fill(thresholds, Double.NaN);
    Arrays.fill(releaseLevels, Double.NaN);
    this.lastSeen = now;
    this.bucket = Math.floorDiv(now, widthMillis);
  }

  /**
   * Counts one call.
   *
   * @param model the model asked for, or null
   * @param refused whether the gateway refused it for the consumer's state (counted as a call only)
   * @param restricted whether the consumer was anything but normal (the bucket is then not learnt)
   */
  synchronized void record(
      long now,
      @Nullable String model,
      boolean refused,
      boolean failed,
      boolean rejected,
      long tokens,
      long inputTokens,
      boolean restricted) {
    roll(now);
    lastSeen = Math.max(lastSeen, now);
    current[CALLS]++;
    currentTainted |= restricted;
    if (model != null) {
      addModel(hash64(model));
    }
    if (refused) {
      return;
    }
    current[JUDGED]++;
    current[TOKENS] = saturatedAdd(current[TOKENS], tokens);
    if (failed) {
      current[ERRORS]++;
    }
    if (rejected) {
      current[REJECTIONS]++;
    }
    if (inputTokens > 0) {
      current[INPUT_TOKENS] = saturatedAdd(current[INPUT_TOKENS], inputTokens);
      current[INPUT_CALLS]++;
    }
  }

  /** Marks the current bucket as one not to learn (the consumer was restricted in it). */
  synchronized void taint(long now) {
    roll(now);
    currentTainted = true;
  }

  /**
   * The most severe finding among the judged signals above their threshold (ties: the signal
   * furthest above it), or null when none is.
   */
  synchronized @Nullable Verdict judge(long now) {
    roll(now);
    double carried = carried(now);
    Verdict verdict = null;
    for (AnomalySignal signal : SIGNALS) {
      double threshold = thresholds[signal.ordinal()];
      if (Double.isNaN(threshold)) {
        continue;
      }
      double x = recent(signal, carried);
      if (!(x > threshold)) { // NaN (too few calls) is not above anything
        continue;
      }
      AnomalyAction action = config.action(signal);
      double excess = x / Math.max(threshold, Double.MIN_NORMAL);
      if (verdict == null
          || action.compareTo(verdict.action()) > 0
          || (action == verdict.action() && excess > verdict.excess())) {
        Baseline b = baselines[signal.ordinal()];
        verdict =
            new Verdict(
                action, new AnomalyFinding(signal, x, b.mean(), b.deviation(), threshold), excess);
      }
    }
    return verdict;
  }

  /** Whether every judged signal is at or below its release level. */
  synchronized boolean calm(long now) {
    roll(now);
    double carried = carried(now);
    for (AnomalySignal signal : SIGNALS) {
      double level = releaseLevels[signal.ordinal()];
      if (!Double.isNaN(level) && recent(signal, carried) > level) {
        return false;
      }
    }
    return true;
  }

  /** The baseline mean of {@code signal} (0 before any sample). */
  synchronized double baseline(AnomalySignal signal) {
    return baselines[signal.ordinal()].mean();
  }

  synchronized long lastSeen() {
    return lastSeen;
  }

  /** Each configured signal's recent value and baseline. */
  synchronized Map<AnomalySignal, SignalReading> readings(long now) {
    roll(now);
    double carried = carried(now);
    Map<AnomalySignal, SignalReading> readings = new EnumMap<>(AnomalySignal.class);
    for (AnomalySignal signal : SIGNALS) {
      if (config.signals().contains(signal)) {
        Baseline b = baselines[signal.ordinal()];
        readings.put(
            signal,
            new SignalReading(recent(signal, carried), b.mean(), b.deviation(), b.samples()));
      }
    }
    return readings;
  }

  /** The share of the previous bucket still inside one bucket's width of now. */
  private double carried(long now) {
    return 1.0 - (double) Math.floorMod(now, widthMillis) / widthMillis;
  }

  /** The signal's value over the last bucket's width (sliding); NaN for too few calls. */
  private double recent(AnomalySignal signal, double carried) {
    return switch (signal) {
      case TOKEN_RATE -> window(TOKENS, carried) * perMinute;
      case REQUEST_RATE -> window(CALLS, carried) * perMinute;
      case ERROR_RATE -> share(window(ERRORS, carried), window(JUDGED, carried));
      case REJECTION_RATE -> share(window(REJECTIONS, carried), window(JUDGED, carried));
      case PROMPT_SIZE -> share(window(INPUT_TOKENS, carried), window(INPUT_CALLS, carried));
      case DISTINCT_MODELS -> windowModelCount;
    };
  }

  private double window(int counter, double carried) {
    return current[counter] + carried * previous[counter];
  }

  private double share(double part, double whole) {
    return whole < config.minCallsForShares() ? Double.NaN : part / whole;
  }

  /** The value of a closed bucket's counts, or NaN when the bucket says nothing of the signal. */
  private double closed(AnomalySignal signal, long[] counts, int models) {
    return switch (signal) {
      case TOKEN_RATE -> counts[TOKENS] * perMinute;
      case REQUEST_RATE -> counts[CALLS] * perMinute;
      case ERROR_RATE -> share(counts[ERRORS], counts[JUDGED]);
      case REJECTION_RATE -> share(counts[REJECTIONS], counts[JUDGED]);
      case PROMPT_SIZE -> share(counts[INPUT_TOKENS], counts[INPUT_CALLS]);
      case DISTINCT_MODELS -> models;
    };
  }

  /** Moves to the bucket of {@code now}, learning from the bucket that closes. */
  private void roll(long now) {
    long target = Math.floorDiv(now, widthMillis);
    if (target < bucket - 1) {
      // The clock stepped back by more than a bucket: the bucket it left would not close until the
      // clock came back to it, piling every call into it. Its counts are dropped, not learnt (they
      // span no known time), and counting starts again in the bucket of now.
      Arrays.fill(previous, 0);
      previousModelCount = 0;
      Arrays.fill(current, 0);
      currentModelCount = 0;
      windowModelCount = 0;
      currentTainted = false;
      bucket = target;
      return;
    }
    if (target <= bucket) {
      return; // same bucket (or a clock that stepped back a little: counted in the current one)
    }
    if (!currentTainted && current[CALLS] > 0) {
      learn(current, currentModelCount);
    }
    if (target == bucket + 1) { // the current bucket becomes the previous one
      long[] spare = previous;
      long[] spareModels = previousModels;
      previous = current;
      previousModels = currentModels;
      previousModelCount = currentModelCount;
      current = spare;
      currentModels = spareModels;
    } else { // idle buckets in between: the previous one was empty
      Arrays.fill(previous, 0);
      previousModelCount = 0;
    }
    Arrays.fill(current, 0);
    currentModelCount = 0;
    windowModelCount = previousModelCount;
    currentTainted = false;
    bucket = target;
  }

  private void learn(long[] counts, int models) {
    for (AnomalySignal signal : SIGNALS) {
      boolean judged = config.signals().contains(signal);
      // The request rate is learnt in any case: a throttle's request allowance is its baseline.
      if (!judged && signal != AnomalySignal.REQUEST_RATE) {
        continue;
      }
      double x = closed(signal, counts, models);
      if (Double.isNaN(x)) {
        continue;
      }
      int i = signal.ordinal();
      Baseline b = baselines[i];
      b.learn(x);
      if (judged && b.samples() >= config.minSamples()) {
        double mean = b.mean();
        double threshold =
            Math.max(
                mean + config.zScore(signal) * b.deviation(),
                Math.max(config.ratio(signal) * mean, config.floor(signal)));
        thresholds[i] = threshold;
        releaseLevels[i] = mean + config.releaseFraction() * (threshold - mean);
      }
    }
  }

  private void addModel(long hash) {
    for (int i = 0; i < currentModelCount; i++) {
      if (currentModels[i] == hash) {
        return;
      }
    }
    if (currentModelCount == currentModels.length) {
      return; // as many as are tracked: the count stays at its bound
    }
    currentModels[currentModelCount++] = hash;
    for (int i = 0; i < previousModelCount; i++) {
      if (previousModels[i] == hash) {
        return;
      }
    }
    windowModelCount++;
  }

  /** A model name's 64-bit hash: FNV-1a over its chars, then MurmurHash3's finalizer. */
  static long hash64(String s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < s.length(); i++) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }

  /**
   * A judgement: what to do and why.
   *
   * @param excess how far above the threshold the value is (value / threshold), to rank findings
   */
  record Verdict(AnomalyAction action, AnomalyFinding finding, double excess) {}
}
