package dev.aigateway.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.testing.CapturingLogger;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ValueLimitTest {

  private final CapturingLogger log = new CapturingLogger("capturing");

  @Test
  void knownValuesStayAdmittedAfterTheLimitIsReached() {
    ValueLimit limit = new ValueLimit("team", 2, log);

    assertThat(limit.admit("a")).isEqualTo("a");
    assertThat(limit.admit("b")).isEqualTo("b");
    assertThat(limit.admit("c")).isEqualTo("other");
    assertThat(limit.admit("a")).isEqualTo("a");
  }

  @Test
  void nullAndEmptyAreNoneAndTakeNoSlot() {
    ValueLimit limit = new ValueLimit("team", 1, log);

    assertThat(limit.admit(null)).isEqualTo("none");
    assertThat(limit.admit("")).isEqualTo("none");
    assertThat(limit.admit("a")).isEqualTo("a");
  }

  @Test
  void noneAndOtherGivenAsValuesTakeNoSlot() {
    ValueLimit limit = new ValueLimit("team", 1, log);

    assertThat(limit.admit("none")).isEqualTo("none");
    assertThat(limit.admit("other")).isEqualTo("other");
    assertThat(limit.admit("a")).isEqualTo("a");
    assertThat(log.warnings()).isEmpty();
  }

  @Test
  void concurrentCallersNeverAdmitMoreThanTheLimit() throws Exception {
    ValueLimit limit = new ValueLimit("team", 100, log);
    Set<String> admitted = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch start = new CountDownLatch(1);
    try {
      for (int t = 0; t < 8; t++) {
        pool.execute(
            () -> {
              try {
                start.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
              }
              for (int i = 0; i < 1_000; i++) {
                admitted.add(limit.admit("v" + (i % 300)));
              }
            });
      }
      start.countDown();
    } finally {
      pool.shutdown();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    assertThat(admitted).contains("other").hasSize(101);
    assertThat(log.warnings()).hasSize(1);
  }
}
