package dev.aigateway.examples.store;

import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.ResponseCacheStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A response cache store written only against the SPI: entries in write order in one map behind one
 * lock, dropped when their time to live has passed or, oldest first, when their weight exceeds the
 * bound. Its test runs the published {@code ResponseCacheStoreContract}.
 */
final class SimpleResponseCacheStore implements ResponseCacheStore {

  private final Clock clock;
  private final Duration timeToLive;
  private final long maximumBytes;
  private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>();
  private long bytes;

  SimpleResponseCacheStore(Clock clock, Duration timeToLive, long maximumBytes) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.timeToLive = Objects.requireNonNull(timeToLive, "timeToLive");
    this.maximumBytes = maximumBytes;
  }

  @Override
  public synchronized Optional<CachedResponse> get(String partition, String key) {
    Entry entry = entries.get(new Key(partition, key));
    if (entry == null) {
      return Optional.empty();
    }
    if (expired(entry, clock.instant())) {
      forget(new Key(partition, key));
      return Optional.empty();
    }
    return Optional.of(entry.response());
  }

  @Override
  public synchronized void put(String partition, String key, CachedResponse response) {
    Key at = new Key(partition, key);
    forget(at); // a replacement is the newest write
    entries.put(at, new Entry(response, clock.instant()));
    bytes += response.weight();
    Iterator<Map.Entry<Key, Entry>> oldestFirst = entries.entrySet().iterator();
    while (bytes > maximumBytes && oldestFirst.hasNext()) {
      bytes -= oldestFirst.next().getValue().response().weight();
      oldestFirst.remove();
    }
  }

  @Override
  public synchronized void remove(String partition, String key) {
    forget(new Key(partition, key));
  }

  private void forget(Key key) {
    Entry gone = entries.remove(key);
    if (gone != null) {
      bytes -= gone.response().weight();
    }
  }

  private boolean expired(Entry entry, Instant now) {
    return Duration.between(entry.storedAt(), now).compareTo(timeToLive) >= 0;
  }

  private record Key(String partition, String key) {}

  private record Entry(CachedResponse response, Instant storedAt) {}
}
