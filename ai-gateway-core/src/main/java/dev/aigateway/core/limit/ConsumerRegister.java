package dev.aigateway.core.limit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The consumers the limit stage has counted calls of, bounded: beyond {@link #MAX_CONSUMERS} the
 * ones least likely to come back are forgotten (Caffeine's size eviction).
 *
 * <p>On the call path a consumer seen before costs one {@link ConcurrentHashMap} lookup, a string
 * comparison and a field write; the bounding cache hears of it at most once a second (so that its
 * eviction still knows which consumers keep coming), not on every call as a cache read would. A new
 * consumer or a changed counter key costs an insertion into both.
 */
final class ConsumerRegister {

  /** The most consumers remembered. */
  static final int MAX_CONSUMERS = 10_000;

  /** How often, at most, a consumer's calls are told to the bounding cache. */
  private static final long TOUCH_MILLIS = 1_000;

  /** What is remembered, looked up on every call. */
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  /** Which consumers are remembered: evicting one from it forgets its entry. */
  private final Cache<String, Entry> bound;

  ConsumerRegister(int maximum) {
    this.bound =
        Caffeine.newBuilder()
            .maximumSize(maximum)
            .executor(Runnable::run) // evictions on the inserting thread, not a shared pool
            // Whatever value the cache held: an entry put meanwhile is put into it again next.
            .evictionListener(
                (String consumer, Entry entry, RemovalCause cause) -> entries.remove(consumer))
            .build();
  }

  private static final class Entry {
    final Map<String, String> counterKeys;
    volatile long lastSeenMillis;

    /** When the bounding cache last heard of the consumer. */
    volatile long touchedMillis;

    Entry(Map<String, String> counterKeys, long lastSeenMillis) {
      this.counterKeys = counterKeys;
      this.lastSeenMillis = lastSeenMillis;
      this.touchedMillis = lastSeenMillis;
    }
  }

  /**
   * A call of {@code consumer} counted by a gateway's one limit, {@code limit}, under {@code key}.
   * Returns the consumer's counter keys as remembered: a {@link Collections#singletonMap} of {@code
   * limit} to {@code key}, the same object for every call of the consumer under that key (so a
   * call's event reports it without a map of its own, however many consumers call in turn).
   */
  Map<String, String> saw(String consumer, String limit, String key, long nowMillis) {
    Entry entry = entries.get(consumer);
    if (entry != null
        && entry.counterKeys.size() == 1
        && key.equals(entry.counterKeys.get(limit))) {
      seenAgain(consumer, entry, nowMillis);
      return entry.counterKeys;
    }
    Map<String, String> keys = Collections.singletonMap(limit, key);
    remember(consumer, new Entry(keys, nowMillis));
    return keys;
  }

  /** A call of {@code consumer} counted under {@code counterKeys} (limit name to counter key). */
  void saw(String consumer, Map<String, String> counterKeys, long nowMillis) {
    Entry entry = entries.get(consumer);
    if (entry != null && entry.counterKeys.equals(counterKeys)) {
      seenAgain(consumer, entry, nowMillis);
      return;
    }
    remember(
        consumer,
        new Entry(Collections.unmodifiableMap(new LinkedHashMap<>(counterKeys)), nowMillis));
  }

  private void seenAgain(String consumer, Entry entry, long nowMillis) {
    if (entry.lastSeenMillis != nowMillis) {
      entry.lastSeenMillis = nowMillis;
    }
    if (nowMillis - entry.touchedMillis >= TOUCH_MILLIS) {
      entry.touchedMillis = nowMillis;
      bound.getIfPresent(consumer); // tells the eviction policy the consumer keeps coming
    }
  }

  private void remember(String consumer, Entry entry) {
    // Entries first, so an eviction from the cache always finds (and forgets) the entry it bounds.
    entries.put(consumer, entry);
    bound.put(consumer, entry);
  }

  long size() {
    return entries.size();
  }

  List<SeenConsumer> latest(int max) {
    List<SeenConsumer> all = new ArrayList<>();
    entries.forEach(
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
