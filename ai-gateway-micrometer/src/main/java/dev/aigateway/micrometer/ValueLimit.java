package dev.aigateway.micrometer;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * Admits up to {@code max} distinct values of one attribute; later values fold into {@link
 * GenAiMetricNames#OTHER}, with one warning. A value longer than {@link
 * GenAiMetrics#MAX_VALUE_LENGTH} is recorded as {@code other} too (with a warning of its own) and
 * takes no slot: models and counter keys come from requests, and a tag value is held by the
 * registry for good and written on every line of its series. Lock-free: a known value costs one map
 * read.
 */
final class ValueLimit {

  private final String attribute;
  private final int max;
  private final Logger log;
  private final ConcurrentHashMap<String, Boolean> known = new ConcurrentHashMap<>();
  private final AtomicInteger admitted = new AtomicInteger();
  private final AtomicBoolean warned = new AtomicBoolean();
  private final AtomicBoolean warnedOfLength = new AtomicBoolean();

  ValueLimit(String attribute, int max, Logger log) {
    this.attribute = attribute;
    this.max = max;
    this.log = log;
  }

  /**
   * The value itself while it fits, else {@code other}; null and empty become {@code none}, a value
   * longer than {@link GenAiMetrics#MAX_VALUE_LENGTH} {@code other}. The values {@code none} and
   * {@code other} themselves (a dimension may return them) take no slot: they are series every
   * attribute may have anyway.
   */
  String admit(@Nullable String value) {
    if (value == null || value.isEmpty()) {
      return GenAiMetricNames.NONE;
    }
    if (value.length() > GenAiMetrics.MAX_VALUE_LENGTH) {
      if (!warnedOfLength.getAndSet(true)) {
        log.warn(
            "ai-gateway metrics: '{}' had a value of {} characters, longer than the {} a tag value"
                + " may have; such values are recorded as '{}'",
            attribute,
            value.length(),
            GenAiMetrics.MAX_VALUE_LENGTH,
            GenAiMetricNames.OTHER);
      }
      return GenAiMetricNames.OTHER;
    }
    if (known.containsKey(value)
        || value.equals(GenAiMetricNames.NONE)
        || value.equals(GenAiMetricNames.OTHER)) {
      return value;
    }
    int n;
    do {
      n = admitted.get();
      if (n >= max) {
        if (!warned.getAndSet(true)) {
          log.warn(
              "ai-gateway metrics: '{}' reached its limit of {} distinct values; further "
                  + "values are recorded as '{}'. Raise GenAiMetrics.Builder.maxValuesPerDimension "
                  + "or use a coarser dimension",
              attribute,
              max,
              GenAiMetricNames.OTHER);
        }
        return GenAiMetricNames.OTHER;
      }
    } while (!admitted.compareAndSet(n, n + 1));
    if (known.putIfAbsent(value, Boolean.TRUE) != null) {
      admitted.decrementAndGet(); // another thread admitted the same value first
    }
    return value;
  }
}
