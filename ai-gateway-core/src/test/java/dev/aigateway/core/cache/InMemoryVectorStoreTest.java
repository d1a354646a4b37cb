package dev.aigateway.core.cache;

import static dev.aigateway.core.cache.Vectors.normalised;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;

import dev.aigateway.api.spi.VectorMatch;
import dev.aigateway.api.spi.VectorStore;
import dev.aigateway.store.tck.TimeControl;
import dev.aigateway.store.tck.VectorStoreContract;
import dev.aigateway.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The store contract on the in-memory store (scanned exactly, and through the graph), plus what
 * only it promises: argument checks, sweeping, and the HNSW path's recall and bookkeeping.
 */
@Tag("compute-bound")
class InMemoryVectorStoreTest extends VectorStoreContract {

  /** The dimension of all-MiniLM-L6-v2, for the graph tests. */
  private static final int MINILM = 384;

  /** The time of every store of a test. */
  private final ManualClock clock = ManualClock.at("2026-01-01T00:00:00Z");

  @Override
  protected VectorStore newStore(Duration timeToLive, long maximumEntries) {
    return InMemoryVectorStore.builder()
        .clock(clock)
        .timeToLive(timeToLive)
        .maximumEntries(maximumEntries)
        .executor(Runnable::run)
        .build();
  }

  @Override
  protected TimeControl time() {
    return clock::advance;
  }

  /** The whole contract again with every partition searched through an HNSW graph. */
  @Nested
  class ThroughTheGraph extends VectorStoreContract {
    private final ManualClock graphClock = ManualClock.at("2026-01-01T00:00:00Z");

    @Override
    protected VectorStore newStore(Duration timeToLive, long maximumEntries) {
      return InMemoryVectorStore.builder()
          .clock(graphClock)
          .timeToLive(timeToLive)
          .maximumEntries(maximumEntries)
          .approximateAbove(0)
          .executor(Runnable::run)
          .build();
    }

    @Override
    protected TimeControl time() {
      return graphClock::advance;
    }
  }

  private InMemoryVectorStore memory() {
    return (InMemoryVectorStore) store;
  }

  private InMemoryVectorStore graphStore(int approximateAbove) {
    return InMemoryVectorStore.builder()
        .clock(clock)
        .timeToLive(TIME_TO_LIVE)
        .maximumEntries(1_000_000)
        .approximateAbove(approximateAbove)
        .executor(Runnable::run)
        .build();
  }

  private static InMemoryVectorStore exactStore() {
    return InMemoryVectorStore.builder()
        .maximumEntries(1_000_000)
        .approximateAbove(Integer.MAX_VALUE)
        .build();
  }

  private static float[][] randomVectors(Random random, int count) {
    float[][] vectors = new float[count][];
    for (int i = 0; i < count; i++) {
      vectors[i] = randomUnit(random, MINILM);
    }
    return vectors;
  }

  /** {@code vector} moved by noise to a cosine of about 0.9 with it, like a paraphrase. */
  private static float[] near(Random random, float[] vector, double noise) {
    float[] moved = vector.clone();
    for (int i = 0; i < moved.length; i++) {
      moved[i] += (float) (noise * random.nextGaussian());
    }
    return normalised(moved);
  }

  /** Vectors around {@code centres} random centres: closer to real prompt embeddings. */
  private static float[][] clusteredVectors(Random random, float[][] centres, int count) {
    float[][] vectors = new float[count][];
    for (int i = 0; i < count; i++) {
      vectors[i] = near(random, centres[random.nextInt(centres.length)], 0.03);
    }
    return vectors;
  }

  private static void addAll(VectorStore target, String partition, float[][] vectors) {
    for (int i = 0; i < vectors.length; i++) {
      target.add(partition, "e" + i, vectors[i], "text " + i);
    }
  }

  /** Share of the exact top-{@code limit} ids the approximate store also returned. */
  private static double recall(
      VectorStore approximate, VectorStore exact, float[][] queries, int limit) {
    int found = 0;
    int wanted = 0;
    for (float[] query : queries) {
      Set<String> got = new HashSet<>(ids(approximate.nearest("p", query, limit, -1.0)));
      for (VectorMatch truth : exact.nearest("p", query, limit, -1.0)) {
        wanted++;
        found += got.contains(truth.id()) ? 1 : 0;
      }
    }
    return found / (double) wanted;
  }

  // ---------------------------------------------------------------- configuration and arguments

  @Test
  void settingsAreCheckedWhenSetAndPrintTheBadValue() {
    InMemoryVectorStore.Builder builder = InMemoryVectorStore.builder();

    assertThatThrownBy(() -> builder.timeToLive(Duration.ZERO))
        .hasMessage("timeToLive must be positive but was PT0S");
    assertThatThrownBy(() -> builder.timeToLive(Duration.ofSeconds(-5)))
        .hasMessage("timeToLive must be positive but was PT-5S");
    assertThatThrownBy(() -> builder.maximumEntries(0))
        .hasMessage("maximumEntries must be at least 1 but was 0");
    assertThatThrownBy(() -> builder.approximateAbove(-1))
        .hasMessage("approximateAbove must be >= 0 but was -1");
    assertThatThrownBy(() -> builder.searchBeamWidth(0))
        .hasMessage("searchBeamWidth must be at least 1 but was 0");
    assertThatThrownBy(() -> builder.searchVisitLimit(0))
        .hasMessage("searchVisitLimit must be at least 1 but was 0");
    assertThatThrownBy(() -> builder.clock(null)).hasMessage("clock");
    assertThatThrownBy(() -> builder.executor(null)).hasMessage("executor");
  }

  @Test
  void aTimeToLiveBeyondALongOfNanosecondsKeepsEntriesForGood() {
    for (Duration forever :
        List.of(
            Duration.ofMillis(Long.MAX_VALUE),
            java.time.temporal.ChronoUnit.FOREVER.getDuration())) {
      VectorStore kept = newStore(forever, 10);
      float[] vector = atAngle(0);

      kept.add("p", "x", vector, "x");
      clock.advance(Duration.ofDays(365L * 100)); // an hour-long time to live would be long past

      assertThat(kept.nearest("p", vector, 1, 0.99))
          .extracting(VectorMatch::id)
          .containsExactly("x");
      assertThat(kept.size()).isEqualTo(1);
    }
  }

  @Test
  void vectorsOfAnotherDimensionAreRejectedNamingThePartition() {
    store.add("p", "x", randomUnit(), "x");

    assertThatThrownBy(() -> store.add("p", "y", new float[16], "y"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("vector has 16 dimensions but partition 'p' holds vectors of 32");
    assertThatThrownBy(() -> store.nearest("p", new float[16], 3, 0.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vector has 16 dimensions");
    assertThatThrownBy(() -> store.add("p", "z", new float[0], "z"))
        .hasMessage("vector must have at least one dimension");
  }

  @Test
  void vectorsWithANonFiniteComponentAreRejectedAndNeverMatch() {
    InMemoryVectorStore graphed = graphStore(0); // searched through the graph
    graphed.add("p", "a", atAngle(0), "a");
    graphed.add("p", "b", atAngle(60), "b");
    float[] broken = atAngle(0);
    broken[3] = Float.NaN;
    float[] infinite = atAngle(10);
    infinite[0] = Float.POSITIVE_INFINITY;

    Throwable addedNaN = catchThrowable(() -> graphed.add("p", "nan", broken, "nan"));
    Throwable addedInfinite = catchThrowable(() -> graphed.add("p", "inf", infinite, "inf"));

    // A score of NaN is no score of at least minScore: only the real match may come back.
    assertThat(graphed.nearest("p", atAngle(0), 5, 0.9))
        .extracting(VectorMatch::id)
        .containsExactly("a");
    assertThat(addedNaN)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("vector component 3 is NaN; vectors must be finite");
    assertThat(addedInfinite)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("vector component 0 is Infinity; vectors must be finite");
    assertThatThrownBy(() -> graphed.nearest("p", broken, 5, 0.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("vector component 3 is NaN; vectors must be finite");
    assertThat(graphed.size()).isEqualTo(2);
  }

  @Test
  void limitMustNotBeNegativeAndZeroFindsNothing() {
    store.add("p", "x", atAngle(0), "x");

    assertThatThrownBy(() -> store.nearest("p", atAngle(0), -1, 0.0))
        .hasMessage("limit must be >= 0 but was -1");
    assertThat(store.nearest("p", atAngle(0), 0, 0.0)).isEmpty();
  }

  @Test
  void anEmptiedPartitionMayHoldVectorsOfAnotherDimension() {
    store.add("p", "x", new float[] {1, 0}, "x");
    store.remove("p", "x");

    store.add("p", "y", new float[] {0, 0, 1}, "y");

    assertThat(ids(store.nearest("p", new float[] {0, 0, 1}, 3, 0.0))).containsExactly("y");
  }

  // ---------------------------------------------------------------- sweeping

  @Test
  void expiredEntriesLeaveTheSizeOnTheNextWrite() {
    store.add("a", "x", randomUnit(), "x");
    store.add("b", "y", randomUnit(), "y");
    clock.advance(TIME_TO_LIVE);

    store.add("c", "z", randomUnit(), "z");

    assertThat(store.size()).isEqualTo(1);
    assertThat(memory().partitionCount()).isEqualTo(1);
  }

  @Test
  void expiredEntriesLeaveTheSizeOnASearchToo() {
    store.add("a", "x", randomUnit(), "x");
    clock.advance(TIME_TO_LIVE);

    store.nearest("elsewhere", randomUnit(), 3, 0.0);

    assertThat(store.size()).isZero();
    assertThat(memory().partitionCount()).isZero();
  }

  @Test
  void writesSupersededManyTimesAreForgotten() {
    float[] vector = randomUnit();
    for (int i = 0; i < 5_000; i++) {
      store.add("p", "same", vector, "v" + i);
    }

    assertThat(store.size()).isEqualTo(1);
    assertThat(store.nearest("p", vector, 3, 0.0))
        .extracting(VectorMatch::text)
        .containsExactly("v4999");
    VectorPartition partition = memory().partition("p");
    assertThat(partition.slots()).isLessThan(200); // tombstones compacted along the way
  }

  // ---------------------------------------------------------------- the byte bound

  private InMemoryVectorStore byteBounded(long maximumBytes) {
    return InMemoryVectorStore.builder()
        .clock(clock)
        .maximumEntries(1_000_000)
        .maximumBytes(maximumBytes)
        .executor(Runnable::run)
        .build();
  }

  @Test
  void largeTextsAreEvictedOldestFirstPastTheByteBound() {
    String megabyte = "x".repeat(1 << 20);
    // a character counts two bytes: room for three such entries, not four
    InMemoryVectorStore bounded = byteBounded(7L << 20);
    for (int i = 0; i < 10; i++) {
      bounded.add("p", "e" + i, atAngle(i * 9), i + megabyte);
    }

    assertThat(bounded.size()).isEqualTo(3);
    assertThat(bounded.bytes()).isLessThanOrEqualTo(7L << 20).isGreaterThan(6L << 20);
    for (int i = 0; i < 10; i++) {
      List<String> best = ids(bounded.nearest("p", atAngle(i * 9), 1, 0.999));
      assertThat(best).as("entry %d", i).isEqualTo(i >= 7 ? List.of("e" + i) : List.of());
    }
  }

  @Test
  void anEntryLargerThanTheBoundIsNotKept() {
    InMemoryVectorStore bounded = byteBounded(64 << 10);
    bounded.add("p", "small", atAngle(0), "small");

    bounded.add("p", "huge", atAngle(45), "y".repeat(1 << 20));

    // the huge entry is evicted at once, the oldest first: the small one goes with it
    assertThat(bounded.size()).isZero();
    assertThat(bounded.bytes()).isZero();
    assertThat(bounded.partitionCount()).isZero();
  }

  @Test
  void replacedAndRemovedEntriesGiveTheirBytesBack() {
    InMemoryVectorStore bounded = byteBounded(1L << 30);
    bounded.add("p", "a", atAngle(0), "z".repeat(100_000));
    long one = bounded.bytes();

    bounded.add("p", "a", atAngle(0), "short");
    long replaced = bounded.bytes();
    bounded.add("q", "b", atAngle(10), "short");
    long two = bounded.bytes();
    bounded.remove("p", "a");
    long removed = bounded.bytes();
    bounded.remove("q", "b");

    assertThat(one).isGreaterThan(200_000); // two bytes a char, counted from above
    assertThat(replaced).isLessThan(one - 199_000).isPositive();
    assertThat(two).isEqualTo(2 * replaced);
    assertThat(removed).isEqualTo(replaced);
    assertThat(bounded.bytes()).isZero();
  }

  @Test
  void expiredEntriesGiveTheirBytesBack() {
    InMemoryVectorStore bounded = byteBounded(1L << 30);
    bounded.add("p", "a", atAngle(0), "text");
    clock.advance(InMemoryVectorStore.DEFAULT_TIME_TO_LIVE);

    bounded.nearest("p", atAngle(0), 1, 0.0);

    assertThat(bounded.size()).isZero();
    assertThat(bounded.bytes()).isZero();
  }

  @Test
  void theByteBoundMustBePositive() {
    assertThatThrownBy(() -> InMemoryVectorStore.builder().maximumBytes(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maximumBytes must be at least 1 but was 0");
  }

  // ---------------------------------------------------------------- the graph

  @Test
  void graphIsBuiltOnlyAboveTheThreshold() {
    InMemoryVectorStore graphed = graphStore(300);
    float[][] vectors = randomVectors(random, 301);
    for (int i = 0; i < 300; i++) {
      graphed.add("p", "e" + i, vectors[i], "t");
    }
    int before = graphed.partition("p").indexedSlots();

    graphed.add("p", "e300", vectors[300], "t");

    assertThat(before).isZero();
    assertThat(graphed.partition("p").indexedSlots()).isEqualTo(301);
  }

  @Test
  void graphRecallOnClusteredVectorsIsAtLeast95Percent() {
    Random seeded = new Random(42);
    float[][] centres = randomVectors(seeded, 300);
    float[][] vectors = clusteredVectors(seeded, centres, 4_000);
    float[][] queries = clusteredVectors(seeded, centres, 200);
    InMemoryVectorStore graphed = graphStore(500);
    InMemoryVectorStore exact = exactStore();
    addAll(graphed, "p", vectors);
    addAll(exact, "p", vectors);

    assertThat(graphed.partition("p").indexedSlots()).isEqualTo(4_000);
    assertThat(recall(graphed, exact, queries, 3)).isGreaterThanOrEqualTo(0.95);
  }

  @Test
  void graphFindsTheOriginalOfANearDuplicateAmongRandomVectors() {
    // Random vectors are the graph's worst case for queries that resemble nothing (see
    // docs/vector-store.md); a cache lookup resembles what it should hit.
    Random seeded = new Random(43);
    float[][] vectors = randomVectors(seeded, 4_000);
    InMemoryVectorStore graphed = graphStore(500);
    addAll(graphed, "p", vectors);
    float[][] queries = new float[200][];
    int[] originals = new int[queries.length];
    for (int q = 0; q < queries.length; q++) {
      originals[q] = seeded.nextInt(vectors.length);
      queries[q] = near(seeded, vectors[originals[q]], 0.025); // cosine ~0.9
    }

    int found = 0;
    for (int q = 0; q < queries.length; q++) {
      List<VectorMatch> best = graphed.nearest("p", queries[q], 1, 0.8);
      found += ids(best).equals(List.of("e" + originals[q])) ? 1 : 0;
    }

    assertThat(found / (double) queries.length).isGreaterThanOrEqualTo(0.99);
  }

  @Test
  void aSearchThatReachesItsVisitLimitReturnsTheBestFoundSoFar() {
    Random seeded = new Random(47);
    float[][] vectors = randomVectors(seeded, 3_000);
    InMemoryVectorStore bounded =
        InMemoryVectorStore.builder()
            .clock(clock)
            .maximumEntries(1_000_000)
            .approximateAbove(500)
            .searchVisitLimit(40)
            .executor(Runnable::run)
            .build();
    addAll(bounded, "p", vectors);
    assertThat(bounded.partition("p").indexedSlots()).isEqualTo(3_000);

    List<VectorMatch> best = bounded.nearest("p", vectors[7], 3, -1.0);

    // Cut short after 40 nodes, the search still answers, best first, with exact scores.
    assertThat(best).hasSize(3);
    assertThat(best.get(0).score()).isGreaterThanOrEqualTo(best.get(1).score());
    for (VectorMatch match : best) {
      int slot = Integer.parseInt(match.id().substring(1));
      assertThat(match.score())
          .isCloseTo(dot(vectors[slot], vectors[7]), org.assertj.core.api.Assertions.within(1e-5));
    }
  }

  @Test
  void graphScoresAreExactAndAtLeastMinScore() {
    Random seeded = new Random(44);
    float[][] centres = randomVectors(seeded, 50);
    float[][] vectors = clusteredVectors(seeded, centres, 1_000);
    InMemoryVectorStore graphed = graphStore(100);
    addAll(graphed, "p", vectors);
    float[] query = clusteredVectors(seeded, centres, 1)[0];

    List<VectorMatch> matches = graphed.nearest("p", query, 10, 0.7);

    assertThat(matches)
        .isNotEmpty()
        .allSatisfy(
            match -> {
              float[] vector = vectors[Integer.parseInt(match.id().substring(1))];
              assertThat(match.score())
                  .isCloseTo(dot(query, vector), within(1e-5))
                  .isGreaterThanOrEqualTo(0.7);
            });
    assertThat(matches)
        .extracting(VectorMatch::score)
        .isSortedAccordingTo((a, b) -> Double.compare(b, a));
  }

  @Test
  void entriesAddedAfterTheGraphWasBuiltAreFound() {
    InMemoryVectorStore graphed = graphStore(200);
    addAll(graphed, "p", randomVectors(random, 1_000));
    float[][] later = randomVectors(random, 200);

    for (int i = 0; i < later.length; i++) {
      graphed.add("p", "later" + i, later[i], "t");
    }

    assertThat(graphed.partition("p").indexedSlots()).isEqualTo(1_200);
    for (int i = 0; i < later.length; i++) {
      List<VectorMatch> best = graphed.nearest("p", later[i], 1, 0.0);
      assertThat(ids(best)).containsExactly("later" + i);
      assertThat(best.get(0).score()).isCloseTo(1.0, within(1e-5));
    }
  }

  @Test
  void removedAndExpiredEntriesAreNotReturnedByTheGraph() {
    InMemoryVectorStore graphed = graphStore(200);
    float[][] old = randomVectors(random, 500);
    addAll(graphed, "p", old); // e0..e499
    clock.advance(TIME_TO_LIVE.dividedBy(2));
    float[][] fresh = randomVectors(random, 500);
    for (int i = 0; i < fresh.length; i++) {
      graphed.add("p", "fresh" + i, fresh[i], "t");
    }
    for (int i = 0; i < fresh.length; i += 5) {
      graphed.remove("p", "fresh" + i);
    }

    clock.advance(TIME_TO_LIVE.dividedBy(2)); // the old half has expired

    for (int i = 0; i < old.length; i += 7) {
      assertThat(ids(graphed.nearest("p", old[i], 20, -1.0))).noneMatch(id -> id.startsWith("e"));
    }
    for (int i = 0; i < fresh.length; i++) {
      List<String> best = ids(graphed.nearest("p", fresh[i], 1, -1.0));
      if (i % 5 == 0) {
        assertThat(best).doesNotContain("fresh" + i);
      } else {
        assertThat(best).containsExactly("fresh" + i);
      }
    }
  }

  @Test
  void compactionRebuildsTheGraphOverTheSurvivors() {
    InMemoryVectorStore graphed = graphStore(200);
    float[][] vectors = randomVectors(random, 1_500);
    addAll(graphed, "p", vectors);

    for (int i = 0; i < vectors.length; i++) {
      if (i % 3 != 0) {
        graphed.remove("p", "e" + i);
      }
    }

    VectorPartition partition = graphed.partition("p");
    assertThat(partition.slots()).isLessThan(1_000); // compacted at least once
    assertThat(partition.indexedSlots()).isEqualTo(partition.slots());
    assertThat(graphed.size()).isEqualTo(500);
    for (int i = 0; i < vectors.length; i++) {
      List<String> best = ids(graphed.nearest("p", vectors[i], 1, -1.0));
      if (i % 3 == 0) {
        assertThat(best).containsExactly("e" + i);
      } else {
        assertThat(best).doesNotContain("e" + i);
      }
    }
  }

  @Test
  void partitionThatShrankBelowTheThresholdIsScannedExactlyAgain() {
    InMemoryVectorStore graphed = graphStore(600);
    float[][] vectors = randomVectors(random, 1_000);
    addAll(graphed, "p", vectors);
    int indexedWhenLarge = graphed.partition("p").indexedSlots();

    for (int i = 0; i < 800; i++) {
      graphed.remove("p", "e" + i);
    }

    assertThat(indexedWhenLarge).isEqualTo(1_000);
    assertThat(graphed.partition("p").indexedSlots()).isZero();
    assertThat(ids(graphed.nearest("p", vectors[900], 1, 0.0))).containsExactly("e900");
  }

  @Test
  void backgroundRebuildsRacingWithWritersLoseNothing() throws Exception {
    // The default executor: each rebuild on a thread of its own, while writers go on.
    InMemoryVectorStore graphed =
        InMemoryVectorStore.builder().maximumEntries(1_000_000).approximateAbove(300).build();
    int writers = 2;
    int perWriter = 1_500;
    float[][][] vectors = new float[writers][][];
    for (int w = 0; w < writers; w++) {
      vectors[w] = randomVectors(random, perWriter);
    }
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<?>> done = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int writer = w;
      done.add(
          pool.submit(
              () -> {
                for (int i = 0; i < perWriter; i++) {
                  graphed.add("p", writer + "-" + i, vectors[writer][i], "t");
                  if (i % 2 == 1) {
                    graphed.remove("p", writer + "-" + (i - 1)); // tombstones force compactions
                  }
                }
                return null;
              }));
    }
    for (Future<?> future : done) {
      future.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    VectorPartition partition = graphed.partition("p");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (partition.indexedSlots() != partition.slots() && System.nanoTime() < deadline) {
      Thread.sleep(10); // the last rebuild may still be installing
    }

    assertThat(graphed.size()).isEqualTo(writers * perWriter / 2);
    assertThat(partition.indexedSlots()).isEqualTo(partition.slots());
    for (int w = 0; w < writers; w++) {
      for (int i = 0; i < perWriter; i++) {
        List<String> best = ids(graphed.nearest("p", vectors[w][i], 1, -1.0));
        if (i % 2 == 0) {
          assertThat(best).doesNotContain(w + "-" + i);
        } else {
          assertThat(best).as("entry %d-%d", w, i).containsExactly(w + "-" + i);
        }
      }
    }
  }
}
