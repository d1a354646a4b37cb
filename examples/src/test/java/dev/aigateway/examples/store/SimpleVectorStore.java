package dev.aigateway.examples.store;

import dev.aigateway.api.spi.VectorMatch;
import dev.aigateway.api.spi.VectorStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;

/**
 * A vector store written only against the SPI: entries in write order in one map behind one lock,
 * searched by an exact scan, expired after their time to live and evicted oldest write first beyond
 * the size bound. Its test runs the published {@code VectorStoreContract}.
 */
final class SimpleVectorStore implements VectorStore {

  private final Clock clock;
  private final Duration timeToLive;
  private final long maximumEntries;
  private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>();

  SimpleVectorStore(Clock clock, Duration timeToLive, long maximumEntries) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.timeToLive = Objects.requireNonNull(timeToLive, "timeToLive");
    this.maximumEntries = maximumEntries;
  }

  @Override
  public synchronized void add(String partition, String id, float[] vector, String text) {
    requireFinite(vector);
    Instant now = clock.instant();
    dropExpired(now);
    Key key = new Key(partition, id);
    entries.remove(key); // a replacement is the newest write
    entries.put(key, new Entry(vector, text, now));
    Iterator<Key> oldestFirst = entries.keySet().iterator();
    while (entries.size() > maximumEntries) {
      oldestFirst.next();
      oldestFirst.remove();
    }
  }

  @Override
  public synchronized List<VectorMatch> nearest(
      String partition, float[] vector, int limit, double minScore) {
    requireFinite(vector);
    dropExpired(clock.instant());
    List<VectorMatch> matches = new ArrayList<>();
    entries.forEach(
        (key, entry) -> {
          if (key.partition().equals(partition)) {
            double score = 0;
            for (int i = 0; i < vector.length; i++) {
              score += vector[i] * entry.vector()[i];
            }
            if (score >= minScore) {
              matches.add(new VectorMatch(key.id(), score, entry.text()));
            }
          }
        });
    matches.sort(Comparator.comparingDouble(VectorMatch::score).reversed());
    return List.copyOf(matches.subList(0, Math.min(limit, matches.size())));
  }

  /** A NaN or infinite component scores no number against anything: such a vector is refused. */
  private static void requireFinite(float[] vector) {
    for (int i = 0; i < vector.length; i++) {
      if (!Float.isFinite(vector[i])) {
        throw new IllegalArgumentException(
            "vector component " + i + " is " + vector[i] + "; vectors must be finite");
      }
    }
  }

  @Override
  public synchronized void remove(String partition, String id) {
    entries.remove(new Key(partition, id));
  }

  @Override
  public synchronized long size() {
    return entries.size();
  }

  /** Drops expired entries: the oldest writes, at the head. */
  private void dropExpired(Instant now) {
    Iterator<Entry> oldestFirst = entries.values().iterator();
    while (oldestFirst.hasNext()
        && Duration.between(oldestFirst.next().writtenAt(), now).compareTo(timeToLive) >= 0) {
      oldestFirst.remove();
    }
  }

  private record Key(String partition, String id) {}

  private record Entry(float[] vector, String text, Instant writtenAt) {}
}
