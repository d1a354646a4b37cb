package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.redis.RedisConnection;
import dev.aigateway.redis.RedisTokenLimitStore;
import dev.aigateway.testing.RedisServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Redis limit harness measures what it says, in about two seconds. */
class RedisLimitHarnessTest {

  @Test
  void throughputCountsSettledReservationsAndLeavesNoSlotHeld() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection =
            RedisConnection.builder()
                .uri(redis.uri())
                .commandTimeout(Duration.ofSeconds(5))
                .build();
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      double perSecond = RedisLimitHarness.throughput(store, 2, 1);

      assertThat(perSecond).isPositive();
      for (int consumer = 0; consumer < 100; consumer++) {
        ReserveResult probe =
            store.reserve(List.of(new LimitCharge(RedisLimitHarness.SLOTS, "team-" + consumer, 1)));
        assertThat(probe.remaining()).containsExactly(RedisLimitHarness.SLOTS.capacity() - 1);
      }
    }
  }

  @Test
  void latenciesAreOnePerGovernedCallSorted() throws Exception {
    long[] nanos = RedisLimitHarness.latencies(new InMemoryTokenLimitStore(), 200);

    assertThat(nanos).hasSize(200).isSorted();
    assertThat(nanos[0]).isPositive();
  }
}
