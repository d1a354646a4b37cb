package dev.aigateway.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.spi.ResponseCacheStore;
import dev.aigateway.store.tck.ResponseCacheStoreContract;
import dev.aigateway.store.tck.TimeControl;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The store contract on the in-memory store, plus its byte bound and settings. */
class InMemoryResponseCacheStoreTest extends ResponseCacheStoreContract {

  private final AtomicLong nanos = new AtomicLong(1_000);

  @Override
  protected ResponseCacheStore newStore() {
    return InMemoryResponseCacheStore.builder().timeToLive(TTL).maximumBytes(ROOM_BYTES)
        .ticker(nanos::get).build();
  }

  @Override
  protected TimeControl time() {
    return duration -> nanos.addAndGet(duration.toNanos());
  }

  @Test
  void staysWithinItsByteBound() {
    InMemoryResponseCacheStore store = InMemoryResponseCacheStore.builder()
        .maximumBytes(64 * 1024).ticker(nanos::get).build();
    String body = "x".repeat(1_000);

    for (int i = 0; i < 500; i++) {
      store.put("p", "k" + i, entry(body));
    }

    assertThat(store.weightedBytes()).isLessThanOrEqualTo(64 * 1024);
    assertThat(store.size()).isBetween(1L, 64L);
    long found = java.util.stream.IntStream.range(0, 500)
        .filter(i -> store.get("p", "k" + i).isPresent()).count();
    assertThat(found).isEqualTo(store.size()); // what is counted can be read
  }

  @Test
  void anEntryLargerThanTheWholeBoundIsNotKept() {
    InMemoryResponseCacheStore store = InMemoryResponseCacheStore.builder()
        .maximumBytes(1024).ticker(nanos::get).build();

    store.put("p", "big", entry("x".repeat(4096)));

    assertThat(store.get("p", "big")).isEmpty();
  }

  @Test
  void badSettingsAreRefusedWithTheValue() {
    assertThatThrownBy(() -> InMemoryResponseCacheStore.builder().maximumBytes(0))
        .hasMessageContaining("0");
    assertThatThrownBy(() -> InMemoryResponseCacheStore.builder().timeToLive(Duration.ZERO))
        .hasMessageContaining("PT0S");
  }
}
