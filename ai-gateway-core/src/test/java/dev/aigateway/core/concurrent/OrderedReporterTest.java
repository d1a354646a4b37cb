package dev.aigateway.core.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Changes added under an owner's lock are reported once each, in the order they were added, by
 * whichever thread is reporting; a slow consumer holds only the thread telling it; a failing
 * consumer loses no later change.
 */
class OrderedReporterTest {

  @Test
  void changesOfManyThreadsAreReportedOnceEachInTheOrderTheyWereAdded() throws Exception {
    List<Integer> told = new ArrayList<>(); // only ever touched by the one thread reporting
    OrderedReporter<Integer> reporter =
        new OrderedReporter<>(told::add, LoggerFactory.getLogger(getClass()), "test");
    Object lock = new Object();
    int[] next = {0};
    int threads = 8;
    int perThread = 5_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(
            pool.submit(
                () -> {
                  for (int k = 0; k < perThread; k++) {
                    synchronized (lock) {
                      if (k % 3 != 2) { // now and then a call that changes nothing
                        reporter.add(next[0]++);
                      }
                    }
                    reporter.report();
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    reporter.report(); // every thread returned: nothing may be left queued
    synchronized (lock) {
      assertThat(told).hasSize(next[0]);
      for (int k = 0; k < told.size(); k++) {
        assertThat(told.get(k)).isEqualTo(k);
      }
    }
  }

  @Test
  void aSlowConsumerHoldsOnlyTheThreadTellingItWhichReportsTheLaterChangesToo() throws Exception {
    CountDownLatch telling = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> told = new ArrayList<>();
    OrderedReporter<String> reporter =
        new OrderedReporter<>(
            change -> {
              told.add(change + " on " + Thread.currentThread().getName());
              if (change.equals("first")) {
                telling.countDown();
                await(release);
              }
            },
            LoggerFactory.getLogger(getClass()),
            "test");
    Thread slow =
        new Thread(
            () -> {
              reporter.add("first");
              reporter.report();
            },
            "slow");
    slow.start();
    assertThat(telling.await(1, TimeUnit.MINUTES)).isTrue();
    reporter.add("second");
    reporter.report(); // returns at once: the slow thread reports it after the first
    release.countDown();
    slow.join(TimeUnit.MINUTES.toMillis(1));
    assertThat(slow.isAlive()).isFalse();
    assertThat(told).containsExactly("first on slow", "second on slow");
  }

  @Test
  void aFailingConsumerLosesNoLaterChangeAndAnErrorIsThrownOnOnceTheQueueIsReported() {
    List<String> told = new ArrayList<>();
    OrderedReporter<String> reporter =
        new OrderedReporter<>(
            change -> {
              told.add(change);
              if (change.equals("bad")) {
                throw new IllegalStateException("consumer failed");
              }
              if (change.equals("worse")) {
                throw new AssertionError("consumer broke");
              }
            },
            LoggerFactory.getLogger(getClass()),
            "test");
    reporter.add("bad");
    reporter.add("worse");
    reporter.add("after");
    assertThatThrownBy(reporter::report).isInstanceOf(AssertionError.class);
    assertThat(told).containsExactly("bad", "worse", "after");
    reporter.add("later");
    reporter.report(); // the reporter is not left stuck by the error
    assertThat(told).containsExactly("bad", "worse", "after", "later");
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
