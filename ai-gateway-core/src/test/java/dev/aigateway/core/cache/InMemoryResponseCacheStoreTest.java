package dev.aigateway.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.spi.ResponseCacheStore;
import dev.aigateway.store.tck.ResponseCacheStoreContract;
import dev.aigateway.store.tck.TimeControl;
import dev.aigateway.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The store contract on the in-memory store, plus its byte bound and settings. */
class InMemoryResponseCacheStoreTest extends ResponseCacheStoreContract {

  private final ManualClock clock = ManualClock.at("2026-01-01T00:00:00Z");

  @Override
  protected ResponseCacheStore newStore() {
    return InMemoryResponseCacheStore.builder()
        .timeToLive(TTL)
        .maximumBytes(ROOM_BYTES)
        .clock(clock)
        .build();
  }

  @Override
  protected TimeControl time() {
    return clock::advance;
  }

  @Test
  void staysWithinItsByteBound() {
    InMemoryResponseCacheStore store =
        InMemoryResponseCacheStore.builder().maximumBytes(64 * 1024).clock(clock).build();
    String body = "x".repeat(1_000);

    for (int i = 0; i < 500; i++) {
      store.put("p", "k" + i, entry(body));
    }

    assertThat(store.weightedBytes()).isLessThanOrEqualTo(64 * 1024);
    assertThat(store.size()).isBetween(1L, 64L);
    long found =
        java.util.stream.IntStream.range(0, 500)
            .filter(i -> store.get("p", "k" + i).isPresent())
            .count();
    assertThat(found).isEqualTo(store.size()); // what is counted can be read
  }

  @Test
  void anEntryLargerThanTheWholeBoundIsNotKept() {
    InMemoryResponseCacheStore store =
        InMemoryResponseCacheStore.builder().maximumBytes(1024).clock(clock).build();

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
