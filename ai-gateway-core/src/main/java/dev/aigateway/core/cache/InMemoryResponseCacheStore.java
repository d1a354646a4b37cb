package dev.aigateway.core.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.ResponseCacheStore;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;

/**
 * The default {@link ResponseCacheStore}: a Caffeine cache in this JVM, bounded by the bytes its
 * entries hold ({@link CachedResponse#weight()}) and expiring entries a fixed time after they were
 * written.
 *
 * <pre>{@code
 * ResponseCacheStore store = InMemoryResponseCacheStore.builder()
 *     .maximumBytes(256L << 20)              // 256 MiB of cached answers
 *     .timeToLive(Duration.ofMinutes(30))
 *     .build();
 * }</pre>
 */
public final class InMemoryResponseCacheStore implements ResponseCacheStore {

  /** Default bound: 64 MiB of cached bodies. */
  public static final long DEFAULT_MAXIMUM_BYTES = 64L << 20;

  /** Default time to live: one hour after an entry was written. */
  public static final Duration DEFAULT_TIME_TO_LIVE = Duration.ofHours(1);

  private final Cache<Key, CachedResponse> cache;
  private final long maximumBytes;
  private final Duration timeToLive;

  private InMemoryResponseCacheStore(Builder builder) {
    this.maximumBytes = builder.maximumBytes;
    this.timeToLive = builder.timeToLive;
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(maximumBytes)
            .weigher(
                (Key key, CachedResponse value) ->
                    (int) Math.min(Integer.MAX_VALUE, value.weight() + key.weight()))
            .expireAfterWrite(timeToLive)
            .ticker(builder.ticker)
            .executor(Runnable::run) // maintenance on the calling thread: deterministic, no pool
            .build();
  }

  /** A store with the defaults (64 MiB, one hour). */
  public static InMemoryResponseCacheStore create() {
    return builder().build();
  }

  /** A builder, starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Optional<CachedResponse> get(String partition, String key) {
    return Optional.ofNullable(cache.getIfPresent(new Key(partition, key)));
  }

  @Override
  public void put(String partition, String key, CachedResponse response) {
    Objects.requireNonNull(response, "response");
    cache.put(new Key(partition, key), response);
  }

  @Override
  public void remove(String partition, String key) {
    cache.invalidate(new Key(partition, key));
  }

  /** The number of entries held now (expired ones not yet swept may count). */
  public long size() {
    return cache.estimatedSize();
  }

  /** The bytes the live entries weigh, after pending maintenance. */
  public long weightedBytes() {
    cache.cleanUp();
    return cache.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
  }

  @Override
  public String toString() {
    return "InMemoryResponseCacheStore[maximumBytes="
        + maximumBytes
        + ", timeToLive="
        + timeToLive
        + ", size="
        + cache.estimatedSize()
        + "]";
  }

  private record Key(String partition, String key) {
    Key {
      Objects.requireNonNull(partition, "partition");
      Objects.requireNonNull(key, "key");
    }

    long weight() {
      return 48L + 2L * (partition.length() + key.length());
    }
  }

  /** Configures an {@link InMemoryResponseCacheStore}. Not thread-safe. */
  public static final class Builder {
    private long maximumBytes = DEFAULT_MAXIMUM_BYTES;
    private Duration timeToLive = DEFAULT_TIME_TO_LIVE;
    private Ticker ticker = Ticker.systemTicker();

    private Builder() {}

    /**
     * The most bytes the cached entries may weigh (default 64 MiB): each its body plus a fixed
     * overhead and its key. Beyond it Caffeine's W-TinyLFU policy evicts the entries it expects to
     * be asked for least, which is not simply the least recently used, and may refuse a new entry
     * when keeping it would evict a more popular one.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder maximumBytes(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maximumBytes must be positive: " + bytes);
      }
      this.maximumBytes = bytes;
      return this;
    }

    /** How long an entry lives after it was written (default one hour); positive. */
    public Builder timeToLive(Duration timeToLive) {
      Objects.requireNonNull(timeToLive, "timeToLive");
      if (timeToLive.isNegative() || timeToLive.isZero()) {
        throw new IllegalArgumentException("timeToLive must be positive: " + timeToLive);
      }
      this.timeToLive = timeToLive;
      return this;
    }

    /**
     * The time expiry is measured on (default: the JVM's monotonic {@link System#nanoTime()});
     * inject a clock in tests, for example the gateway's.
     */
    public Builder clock(InstantSource clock) {
      this.ticker = ClockTicker.of(Objects.requireNonNull(clock, "clock"));
      return this;
    }

    public InMemoryResponseCacheStore build() {
      return new InMemoryResponseCacheStore(this);
    }
  }
}
