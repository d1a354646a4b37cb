package dev.aigateway.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.api.spi.ResponseCacheStore;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Which parts of the response cache are called on the calling thread (no hand-off: the in-memory
 * ones and those that bound their own calls within the cache's timeout), and how a part on threads
 * of its own is waited for.
 */
class CachePartTest {

  /** A model that answers at once, with a bound of its own or none. */
  private static EmbeddingModel model(@Nullable Duration bound) {
    return new EmbeddingModel() {
      @Override
      public float[] embed(String text) {
        return new float[] {1, 0};
      }

      @Override
      public String name() {
        return "m";
      }

      @Override
      public @Nullable Duration callTimeout() {
        return bound;
      }
    };
  }

  /** A store that finds nothing, with a bound of its own or none. */
  private static ResponseCacheStore store(@Nullable Duration bound) {
    return new EmptyStore(bound, Integer.MAX_VALUE);
  }

  @Test
  void theInMemoryStoresAndPartsBoundedWithinTheTimeoutAreCalledWithoutAHandOff() {
    ResponseCache defaults = ResponseCache.builder().build();
    assertThat(defaults.storePart().direct()).isTrue();
    assertThat(defaults.anyHandedOff()).isFalse();

    ResponseCache bounded =
        ResponseCache.builder()
            .timeout(Duration.ofMillis(500))
            .store(store(Duration.ofMillis(500)))
            .semantic(SemanticCache.builder(model(Duration.ofMillis(100))))
            .build();
    assertThat(bounded.storePart().direct()).isTrue();
    assertThat(bounded.vectorPart().direct()).isTrue(); // the in-memory vector store
    assertThat(bounded.modelPart().direct()).isTrue();
    assertThat(bounded.anyHandedOff()).isFalse();
  }

  @Test
  void partsThatDoNotBoundTheirCallsOrBoundThemBeyondTheTimeoutGetThreadsOfTheirOwn() {
    ResponseCache cache =
        ResponseCache.builder()
            .timeout(Duration.ofMillis(500))
            .store(store(Duration.ofSeconds(1)))
            .semantic(SemanticCache.builder(model(null)))
            .build();
    assertThat(cache.storePart().direct()).isFalse();
    assertThat(cache.modelPart().direct()).isFalse();
    assertThat(cache.vectorPart().direct()).isTrue();
    assertThat(cache.anyHandedOff()).isTrue();
  }

  @Test
  void aCallOnThreadsOfItsOwnIsWaitedForUntilTheDeadlineOnly() throws Exception {
    CachePart part = CachePart.of("test part", false);
    CountDownLatch never = new CountDownLatch(1);
    try {
      assertThatThrownBy(
              () ->
                  part.call(
                      () -> {
                        never.await();
                        return "late";
                      },
                      System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200)))
          .isInstanceOf(TimeoutException.class)
          .hasMessageContaining("the test part");
      // Past the deadline the part is not asked at all.
      assertThatThrownBy(() -> part.call(() -> "never asked", System.nanoTime() - 1))
          .isInstanceOf(TimeoutException.class)
          .hasMessage("the lookup's time was up before the test part was asked");
      assertThat(part.call(() -> "answer", System.nanoTime() + TimeUnit.SECONDS.toNanos(30)))
          .isEqualTo("answer");
    } finally {
      never.countDown();
    }
  }

  @Test
  void aHungPartHoldsAtMostItsThreadsAndItsWritesBeyondThemAndTheBacklogAreDropped()
      throws Exception {
    CachePart part = CachePart.of("test part", false);
    CountDownLatch never = new CountDownLatch(1);
    CountDownLatch allHeld = new CountDownLatch(CachePart.MAX_THREADS);
    try {
      int writes = CachePart.MAX_THREADS + CachePart.MAX_PENDING_WRITES + 10;
      for (int i = 0; i < writes; i++) {
        part.write(
            () -> {
              allHeld.countDown();
              try {
                never.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
      }
      assertThat(allHeld.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(part.droppedWrites()).isEqualTo(10);
      assertThatThrownBy(() -> part.call(() -> "x", System.nanoTime() + 1_000_000_000L))
          .isInstanceOf(CachePart.Busy.class)
          .hasMessage("every thread of the test part is taken");
    } finally {
      never.countDown();
    }
  }
}
