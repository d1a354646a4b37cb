package dev.aigateway.micrometer;

import dev.aigateway.api.CacheInfo;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.micrometer.GenAiMetricNames.Attribute;
import dev.aigateway.micrometer.GenAiMetricNames.Metric;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The per-call meters of one tuple of attribute values, each registered on first use. Calls with
 * the same tuple share one instance, so a steady state looks meters up with a single map read.
 */
final class CallMeters {

  // Positions in a call's tuple of attribute values; dimensions follow at FIXED.
  static final int OPERATION = 0;
  static final int PROVIDER = 1;
  static final int REQUEST_MODEL = 2;
  static final int RESPONSE_MODEL = 3;
  static final int SERVER_ADDRESS = 4;
  static final int SERVER_PORT = 5;
  static final int ERROR_TYPE = 6;
  static final int REASON = 7;
  static final int LIMIT = 8;
  static final int FIXED = 9;

  private static final String[] KEYS = {
    Attribute.OPERATION_NAME.key(),
    Attribute.PROVIDER_NAME.key(),
    Attribute.REQUEST_MODEL.key(),
    Attribute.RESPONSE_MODEL.key(),
    Attribute.SERVER_ADDRESS.key(),
    Attribute.SERVER_PORT.key(),
    Attribute.ERROR_TYPE.key(),
    Attribute.REASON.key(),
    Attribute.LIMIT.key()
  };

  /** Every tag key the per-call meters carry besides the custom dimensions. */
  static final Set<String> BUILT_IN_KEYS =
      Set.of(
          KEYS[OPERATION],
          KEYS[PROVIDER],
          KEYS[REQUEST_MODEL],
          KEYS[RESPONSE_MODEL],
          KEYS[SERVER_ADDRESS],
          KEYS[SERVER_PORT],
          KEYS[ERROR_TYPE],
          KEYS[REASON],
          KEYS[LIMIT],
          Attribute.TOKEN_TYPE.key(),
          Attribute.DIRECTION.key(),
          Attribute.OUTCOME.key());

  private static final int[] GEN_AI = {
    OPERATION, PROVIDER, REQUEST_MODEL, RESPONSE_MODEL, SERVER_ADDRESS, SERVER_PORT
  };
  private static final int[] GEN_AI_AND_ERROR = {
    OPERATION, PROVIDER, REQUEST_MODEL, RESPONSE_MODEL, SERVER_ADDRESS, SERVER_PORT, ERROR_TYPE
  };
  private static final int[] REJECTION = {OPERATION, PROVIDER, REQUEST_MODEL, REASON, LIMIT};
  private static final int[] DRIFT = {OPERATION, PROVIDER, REQUEST_MODEL};

  /** The meters a tuple can have. */
  enum Slot {
    REPORTED_INPUT,
    REPORTED_OUTPUT,
    ESTIMATED_INPUT,
    ESTIMATED_OUTPUT,
    DURATION,
    TIME_TO_FIRST_CHUNK,
    REJECTIONS,
    CONTENT_FILTERED,
    DRIFT_OVER,
    DRIFT_UNDER,
    CACHE_BYPASSED,
    CACHE_MISS,
    CACHE_EXACT_HIT,
    CACHE_SEMANTIC_HIT,
    CACHE_GUARDED_MISS,
    CACHE_TOKENS_SAVED,
    CACHE_SCORE_SEMANTIC_HIT,
    CACHE_SCORE_MISS,
    CACHE_SCORE_GUARDED_MISS,
    CACHE_SKIP_NOT_READ_WHOLE,
    DETAIL_CACHE_READ,
    DETAIL_CACHE_CREATION,
    DETAIL_REASONING,
    DETAIL_INPUT_AUDIO,
    DETAIL_OUTPUT_AUDIO,
    DETAIL_INPUT_IMAGE
  }

  private final MeterRegistry registry;
  private final String[] dimensionNames;
  private final String[] values;
  private final AtomicReferenceArray<Meter> slots =
      new AtomicReferenceArray<>(Slot.values().length);

  CallMeters(MeterRegistry registry, String[] dimensionNames, String[] values) {
    this.registry = registry;
    this.dimensionNames = dimensionNames;
    this.values = values;
  }

  DistributionSummary summary(Slot slot) {
    return (DistributionSummary) meter(slot);
  }

  Timer timer(Slot slot) {
    return (Timer) meter(slot);
  }

  Counter counter(Slot slot) {
    return (Counter) meter(slot);
  }

  private Meter meter(Slot slot) {
    Meter meter = slots.get(slot.ordinal());
    if (meter == null) {
      // A race registers twice; the registry returns the same meter both times.
      meter = create(slot);
      slots.set(slot.ordinal(), meter);
    }
    return meter;
  }

  private Meter create(Slot slot) {
    return switch (slot) {
      case REPORTED_INPUT ->
          summary(
              Metric.TOKEN_USAGE, GEN_AI, Attribute.TOKEN_TYPE, GenAiMetricNames.TOKEN_TYPE_INPUT);
      case REPORTED_OUTPUT ->
          summary(
              Metric.TOKEN_USAGE, GEN_AI, Attribute.TOKEN_TYPE, GenAiMetricNames.TOKEN_TYPE_OUTPUT);
      case ESTIMATED_INPUT ->
          summary(
              Metric.ESTIMATED_TOKEN_USAGE,
              GEN_AI,
              Attribute.TOKEN_TYPE,
              GenAiMetricNames.TOKEN_TYPE_INPUT);
      case ESTIMATED_OUTPUT ->
          summary(
              Metric.ESTIMATED_TOKEN_USAGE,
              GEN_AI,
              Attribute.TOKEN_TYPE,
              GenAiMetricNames.TOKEN_TYPE_OUTPUT);
      case DURATION -> timer(Metric.OPERATION_DURATION, GEN_AI_AND_ERROR);
      case TIME_TO_FIRST_CHUNK -> timer(Metric.TIME_TO_FIRST_CHUNK, GEN_AI_AND_ERROR);
      case REJECTIONS ->
          Counter.builder(Metric.REJECTIONS.meterName())
              .description(Metric.REJECTIONS.description())
              .tags(tags(REJECTION, null, null))
              .register(registry);
      case CONTENT_FILTERED ->
          Counter.builder(Metric.CONTENT_FILTERED.meterName())
              .description(Metric.CONTENT_FILTERED.description())
              .tags(tags(GEN_AI, null, null))
              .register(registry);
      case DRIFT_OVER ->
          summary(
              Metric.RESERVATION_DRIFT, DRIFT, Attribute.DIRECTION, GenAiMetricNames.DRIFT_OVER);
      case DRIFT_UNDER ->
          summary(
              Metric.RESERVATION_DRIFT, DRIFT, Attribute.DIRECTION, GenAiMetricNames.DRIFT_UNDER);
      case CACHE_BYPASSED -> cacheLookups(CacheOutcome.BYPASSED);
      case CACHE_MISS -> cacheLookups(CacheOutcome.MISS);
      case CACHE_EXACT_HIT -> cacheLookups(CacheOutcome.EXACT_HIT);
      case CACHE_SEMANTIC_HIT -> cacheLookups(CacheOutcome.SEMANTIC_HIT);
      case CACHE_GUARDED_MISS -> cacheLookups(CacheOutcome.GUARDED_MISS);
      case CACHE_TOKENS_SAVED -> summary(Metric.CACHE_TOKENS_SAVED, DRIFT, null, null);
      case CACHE_SCORE_SEMANTIC_HIT -> cacheScore(CacheOutcome.SEMANTIC_HIT);
      case CACHE_SCORE_MISS -> cacheScore(CacheOutcome.MISS);
      case CACHE_SCORE_GUARDED_MISS -> cacheScore(CacheOutcome.GUARDED_MISS);
      case CACHE_SKIP_NOT_READ_WHOLE -> cacheSkips(CacheInfo.PROMPT_NOT_READ_WHOLE);
      case DETAIL_CACHE_READ -> detail(GenAiMetricNames.TOKEN_TYPE_CACHE_READ);
      case DETAIL_CACHE_CREATION -> detail(GenAiMetricNames.TOKEN_TYPE_CACHE_CREATION);
      case DETAIL_REASONING -> detail(GenAiMetricNames.TOKEN_TYPE_REASONING);
      case DETAIL_INPUT_AUDIO -> detail(GenAiMetricNames.TOKEN_TYPE_INPUT_AUDIO);
      case DETAIL_OUTPUT_AUDIO -> detail(GenAiMetricNames.TOKEN_TYPE_OUTPUT_AUDIO);
      case DETAIL_INPUT_IMAGE -> detail(GenAiMetricNames.TOKEN_TYPE_INPUT_IMAGE);
    };
  }

  private DistributionSummary detail(String tokenType) {
    return summary(Metric.TOKEN_USAGE_DETAIL, GEN_AI, Attribute.TOKEN_TYPE, tokenType);
  }

  private DistributionSummary cacheScore(CacheOutcome outcome) {
    return summary(Metric.CACHE_SEMANTIC_SCORE, DRIFT, Attribute.OUTCOME, outcome.label());
  }

  /**
   * The counter of calls kept out of the semantic cache for {@code reason}: a slot's for the reason
   * the cache gives today, registered anew (the registry returns the same meter) for any other.
   */
  Counter semanticSkips(String reason) {
    return CacheInfo.PROMPT_NOT_READ_WHOLE.equals(reason)
        ? counter(Slot.CACHE_SKIP_NOT_READ_WHOLE)
        : cacheSkips(reason);
  }

  /** The counter of lookups a part of the cache failed for {@code reason}. */
  Counter cacheFailures(String reason) {
    return Counter.builder(Metric.CACHE_FAILURES.meterName())
        .description(Metric.CACHE_FAILURES.description())
        .tags(tags(DRIFT, Attribute.REASON, reason))
        .register(registry);
  }

  private Counter cacheSkips(String reason) {
    return Counter.builder(Metric.CACHE_SEMANTIC_SKIPS.meterName())
        .description(Metric.CACHE_SEMANTIC_SKIPS.description())
        .tags(tags(DRIFT, Attribute.REASON, reason))
        .register(registry);
  }

  private Counter cacheLookups(CacheOutcome outcome) {
    return Counter.builder(Metric.CACHE_LOOKUPS.meterName())
        .description(Metric.CACHE_LOOKUPS.description())
        .tags(tags(DRIFT, Attribute.OUTCOME, outcome.label()))
        .register(registry);
  }

  private DistributionSummary summary(
      Metric metric, int[] positions, Attribute extra, String extraValue) {
    return DistributionSummary.builder(metric.meterName())
        .description(metric.description())
        .baseUnit(metric.unit())
        .serviceLevelObjectives(metric.histogramBuckets())
        .tags(tags(positions, extra, extraValue))
        .register(registry);
  }

  private Timer timer(Metric metric, int[] positions) {
    return Timer.builder(metric.meterName())
        .description(metric.description())
        .serviceLevelObjectives(durations(metric.histogramBuckets()))
        .tags(tags(positions, null, null))
        .register(registry);
  }

  private Tags tags(int[] positions, Attribute extra, String extraValue) {
    List<Tag> tags = new ArrayList<>(positions.length + 1 + dimensionNames.length);
    for (int position : positions) {
      tags.add(Tag.of(KEYS[position], values[position]));
    }
    if (extra != null) {
      tags.add(Tag.of(extra.key(), extraValue));
    }
    for (int i = 0; i < dimensionNames.length; i++) {
      tags.add(Tag.of(dimensionNames[i], values[FIXED + i]));
    }
    return Tags.of(tags);
  }

  static Duration[] durations(double[] seconds) {
    return Arrays.stream(seconds)
        .mapToObj(s -> Duration.ofNanos(Math.round(s * 1e9)))
        .toArray(Duration[]::new);
  }

  /** A call's tuple of attribute values, as a map key. */
  static final class Key {
    private final String[] values;
    private final int hash;

    Key(String[] values) {
      this.values = values;
      this.hash = Arrays.hashCode(values);
    }

    String[] values() {
      return values;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key other && hash == other.hash && Arrays.equals(values, other.values);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
