package dev.aigateway.core.limit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The consumers the limit stage has counted calls of, bounded: beyond {@link #MAX_CONSUMERS} the
 * ones least likely to come back are forgotten (Caffeine's size eviction). On the call path it
 * costs a lookup and a field write; a new consumer or a changed counter key costs an insertion.
 */
final class ConsumerRegister {

  /** The most consumers remembered. */
  static final int MAX_CONSUMERS = 10_000;

  private final Cache<String, Entry> seen;

  ConsumerRegister(int maximum) {
    this.seen = Caffeine.newBuilder().maximumSize(maximum).build();
  }

  private static final class Entry {
    final Map<String, String> counterKeys;
    volatile long lastSeenMillis;

    Entry(Map<String, String> counterKeys, long lastSeenMillis) {
      this.counterKeys = counterKeys;
      this.lastSeenMillis = lastSeenMillis;
    }
  }

  /** Notes a call of {@code consumer} counted under these keys (limit name to counter key). */
  void saw(String consumer, Map<String, String> counterKeys, long nowMillis) {
    Entry entry = seen.getIfPresent(consumer);
    if (entry != null && entry.counterKeys.equals(counterKeys)) {
      entry.lastSeenMillis = nowMillis;
      return;
    }
    seen.put(
        consumer,
        new Entry(Collections.unmodifiableMap(new LinkedHashMap<>(counterKeys)), nowMillis));
  }

  /** How many consumers are remembered now. */
  long size() {
    return seen.estimatedSize();
  }

  /** The remembered consumers, most recently seen first, at most {@code max}. */
  List<SeenConsumer> latest(int max) {
    List<SeenConsumer> all = new ArrayList<>();
    seen.asMap()
        .forEach(
            (consumer, entry) ->
                all.add(
                    new SeenConsumer(
                        consumer, Instant.ofEpochMilli(entry.lastSeenMillis), entry.counterKeys)));
    all.sort(
        Comparator.comparing(SeenConsumer::lastSeen)
            .reversed()
            .thenComparing(SeenConsumer::consumer));
    return all.size() <= max ? all : List.copyOf(all.subList(0, max));
  }
}
