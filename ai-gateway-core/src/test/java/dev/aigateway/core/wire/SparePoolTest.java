package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class SparePoolTest {

  @Test
  void anEmptyPoolHasNothingAndAnObjectGivenBackIsTakenAgain() {
    SparePool<Object> pool = new SparePool<>();
    assertThat(pool.take()).isNull();

    Object spare = new Object();
    pool.giveBack(spare);
    assertThat(pool.size()).isEqualTo(1);
    assertThat(pool.take()).isSameAs(spare);
    assertThat(pool.take()).isNull();
    assertThat(pool.size()).isZero();
  }

  @Test
  void aThreadKeepsAFewSparesAndDropsTheRest() {
    SparePool<Object> pool = new SparePool<>();
    for (int i = 0; i < 100; i++) {
      pool.giveBack(new Object());
    }
    // one thread looks at four slots: the others' spares are left to the garbage collector
    assertThat(pool.size()).isEqualTo(4);
    for (int i = 0; i < 4; i++) {
      assertThat(pool.take()).isNotNull();
    }
    assertThat(pool.take()).isNull();
  }

  /** An object taken is held by one thread until it is given back, however many threads take. */
  @Test
  void noObjectIsEverHeldByTwoThreadsAtOnce() throws Exception {
    SparePool<AtomicBoolean> pool = new SparePool<>();
    int threads = 16;
    int rounds = 50_000;
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<Integer>> runs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        runs.add(
            executor.submit(
                () -> {
                  start.await();
                  int reused = 0;
                  for (int i = 0; i < rounds; i++) {
                    AtomicBoolean held = pool.take();
                    if (held == null) {
                      held = new AtomicBoolean();
                    } else {
                      reused++;
                    }
                    assertThat(held.compareAndSet(false, true)).as("held elsewhere").isTrue();
                    Thread.onSpinWait();
                    held.set(false);
                    pool.giveBack(held);
                  }
                  return reused;
                }));
      }
      start.countDown();
      int reused = 0;
      for (Future<Integer> run : runs) {
        reused += run.get(2, TimeUnit.MINUTES);
      }
      assertThat(reused).isPositive();
      assertThat(pool.size()).isBetween(1, 16);
    } finally {
      executor.shutdownNow();
    }
  }
}
