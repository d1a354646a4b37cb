package dev.aigateway.examples.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.spi.ResponseCacheStore;
import dev.aigateway.store.tck.ResponseCacheStoreContract;
import dev.aigateway.store.tck.TimeControl;
import dev.aigateway.testing.ManualClock;
import org.junit.jupiter.api.Test;

/** The published response cache store suite, run against a store written outside the core. */
class SimpleResponseCacheStoreTest extends ResponseCacheStoreContract {

  private final ManualClock clock = ManualClock.at("2026-11-24T10:00:00Z");

  @Override
  protected ResponseCacheStore newStore() {
    return new SimpleResponseCacheStore(clock, TTL, ROOM_BYTES);
  }

  @Override
  protected TimeControl time() {
    return clock::advance;
  }

  @Test
  void theOldestEntriesGoWhenTheBytesExceedTheBound() {
    SimpleResponseCacheStore small =
        new SimpleResponseCacheStore(clock, TTL, 2 * entry("x".repeat(1000)).weight());

    small.put("p", "first", entry("x".repeat(1000)));
    small.put("p", "second", entry("y".repeat(1000)));
    small.put("p", "third", entry("z".repeat(1000)));

    assertThat(small.get("p", "first")).isEmpty();
    assertThat(small.get("p", "second")).isPresent();
    assertThat(small.get("p", "third")).isPresent();
  }
}
