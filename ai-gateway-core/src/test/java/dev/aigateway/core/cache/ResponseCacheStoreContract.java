package dev.aigateway.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.ResponseCacheStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ResponseCacheStore} must do. An implementation's test extends this class and
 * builds the store with the given time source, a time to live of {@link #TTL} and room for at
 * least {@link #ROOM_BYTES} of entries.
 */
public abstract class ResponseCacheStoreContract {

  protected static final Duration TTL = Duration.ofMinutes(10);
  protected static final long ROOM_BYTES = 1L << 20;

  protected final AtomicLong nanos = new AtomicLong(1_000);

  /** A store over {@link #nanos} as its clock, {@link #TTL}, at least {@link #ROOM_BYTES}. */
  protected abstract ResponseCacheStore newStore();

  protected static CachedResponse entry(String body) {
    return new CachedResponse(CachedResponse.Format.JSON, body.getBytes(StandardCharsets.UTF_8),
        "gpt-4o", Usage.of(3, 4), Instant.parse("2026-11-24T00:00:00Z"));
  }

  @Test
  void returnsWhatWasStoredByteForByte() {
    ResponseCacheStore store = newStore();
    CachedResponse stored = new CachedResponse(CachedResponse.Format.SSE,
        "data: {\"a\":\"\u00e9\u4e2d\"}\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.UTF_8),
        "gpt-4o-2024", Usage.of(11, 9), Instant.parse("2026-11-24T10:15:30Z"));

    store.put("tenant-a", "k1", stored);

    CachedResponse read = store.get("tenant-a", "k1").orElseThrow();
    assertThat(read.body()).isEqualTo(stored.body());
    assertThat(read.format()).isEqualTo(CachedResponse.Format.SSE);
    assertThat(read.model()).isEqualTo("gpt-4o-2024");
    assertThat(read.usage()).isEqualTo(Usage.of(11, 9));
    assertThat(read.storedAt()).isEqualTo(stored.storedAt());
  }

  @Test
  void missesAreEmpty() {
    assertThat(newStore().get("tenant-a", "absent")).isEmpty();
  }

  @Test
  void partitionsNeverShareEntries() {
    ResponseCacheStore store = newStore();
    store.put("tenant-a", "same-key", entry("a"));
    store.put("tenant-b", "same-key", entry("b"));

    assertThat(store.get("tenant-a", "same-key").orElseThrow().body()).isEqualTo(new byte[] {'a'});
    assertThat(store.get("tenant-b", "same-key").orElseThrow().body()).isEqualTo(new byte[] {'b'});
    assertThat(store.get("tenant-c", "same-key")).isEmpty();
  }

  @Test
  void partitionAndKeyDoNotRunTogether() {
    ResponseCacheStore store = newStore();
    store.put("ab", "c", entry("first"));

    assertThat(store.get("a", "bc")).isEmpty();
  }

  @Test
  void aLaterPutReplaces() {
    ResponseCacheStore store = newStore();
    store.put("p", "k", entry("old"));
    store.put("p", "k", entry("new"));

    assertThat(new String(store.get("p", "k").orElseThrow().body(), StandardCharsets.UTF_8))
        .isEqualTo("new");
  }

  @Test
  void removeForgets() {
    ResponseCacheStore store = newStore();
    store.put("p", "k", entry("x"));
    store.remove("p", "k");
    store.remove("p", "never-there");

    assertThat(store.get("p", "k")).isEmpty();
  }

  @Test
  void entriesExpireAfterTheTimeToLive() {
    ResponseCacheStore store = newStore();
    store.put("p", "k", entry("x"));

    nanos.addAndGet(TTL.minusSeconds(1).toNanos());
    assertThat(store.get("p", "k")).isPresent();
    nanos.addAndGet(Duration.ofSeconds(2).toNanos());
    assertThat(store.get("p", "k")).isEmpty();
  }

  @Test
  void concurrentPutsAndGetsNeverMixEntries() throws Exception {
    ResponseCacheStore store = newStore();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        work.add(pool.submit(() -> {
          for (int i = 0; i < 2_000; i++) {
            String key = "k" + (i % 50);
            store.put("p" + thread, key, entry(thread + ":" + key));
            store.get("p" + thread, key).ifPresent(read -> assertThat(
                new String(read.body(), StandardCharsets.UTF_8)).isEqualTo(thread + ":" + key));
          }
        }));
      }
      for (Future<?> done : work) {
        done.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
