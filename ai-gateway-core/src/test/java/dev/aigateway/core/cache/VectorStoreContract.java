package dev.aigateway.core.cache;

import static dev.aigateway.core.cache.Vectors.normalised;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.aigateway.api.spi.VectorMatch;
import dev.aigateway.api.spi.VectorStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link VectorStore} must show, as its javadoc states it. Subclass and
 * implement {@link #newStore} to run the suite against another store (for example Redis); time
 * is a {@link FakeTicker} the tests move by hand, so nothing sleeps.
 *
 * <p>Partitions here are small, so an approximate store is expected to find every match.
 */
public abstract class VectorStoreContract {

  /** The time to live of {@link #store}. */
  protected static final Duration TIME_TO_LIVE = Duration.ofMinutes(10);
  /** The size bound of {@link #store}. */
  protected static final long MAXIMUM_ENTRIES = 50;
  /** Dimensions of the random vectors the tests use. */
  protected static final int DIMENSIONS = 32;

  protected FakeTicker ticker;
  protected VectorStore store;
  protected final Random random = new Random(20250115);

  /**
   * A fresh, empty store that reads time from {@code ticker}, lets entries live
   * {@code timeToLive} and holds at most {@code maximumEntries}.
   */
  protected abstract VectorStore newStore(Ticker ticker, Duration timeToLive,
      long maximumEntries);

  @BeforeEach
  void createStore() {
    ticker = new FakeTicker();
    store = newStore(ticker, TIME_TO_LIVE, MAXIMUM_ENTRIES);
  }

  // ---------------------------------------------------------------- helpers

  /** A random unit vector. */
  protected static float[] randomUnit(Random random, int dimensions) {
    float[] vector = new float[dimensions];
    for (int i = 0; i < dimensions; i++) {
      vector[i] = (float) random.nextGaussian();
    }
    return normalised(vector);
  }

  /** The unit vector at {@code degrees} from the first axis towards the second. */
  protected static float[] atAngle(double degrees) {
    float[] vector = new float[DIMENSIONS];
    vector[0] = (float) Math.cos(Math.toRadians(degrees));
    vector[1] = (float) Math.sin(Math.toRadians(degrees));
    return vector;
  }

  protected static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }

  protected static List<String> ids(List<VectorMatch> matches) {
    return matches.stream().map(VectorMatch::id).toList();
  }

  protected float[] randomUnit() {
    return randomUnit(random, DIMENSIONS);
  }

  // ---------------------------------------------------------------- search

  @Test
  void matchesComeBestFirstWithTheirCosineSimilarity() {
    store.add("p", "60", atAngle(60), "sixty");
    store.add("p", "10", atAngle(10), "ten");
    store.add("p", "100", atAngle(100), "hundred");
    store.add("p", "30", atAngle(30), "thirty");

    List<VectorMatch> matches = store.nearest("p", atAngle(0), 10, -1.0);

    assertThat(ids(matches)).containsExactly("10", "30", "60", "100");
    assertThat(matches.get(0).score()).isCloseTo(Math.cos(Math.toRadians(10)), within(1e-6));
    assertThat(matches.get(3).score()).isCloseTo(Math.cos(Math.toRadians(100)), within(1e-6));
    assertThat(matches.get(1).text()).isEqualTo("thirty");
  }

  @Test
  void matchesBelowMinScoreAreLeftOut() {
    store.add("p", "10", atAngle(10), "ten");
    store.add("p", "30", atAngle(30), "thirty");
    store.add("p", "60", atAngle(60), "sixty");

    List<VectorMatch> matches = store.nearest("p", atAngle(0), 10, 0.8); // cos 30° = 0.866

    assertThat(ids(matches)).containsExactly("10", "30");
    assertThat(store.nearest("p", atAngle(0), 10, 0.99)).isEmpty();
  }

  @Test
  void limitKeepsOnlyTheBest() {
    for (int degrees = 5; degrees <= 45; degrees += 5) {
      store.add("p", "d" + degrees, atAngle(degrees), "text");
    }

    assertThat(ids(store.nearest("p", atAngle(0), 3, 0.0))).containsExactly("d5", "d10", "d15");
    assertThat(ids(store.nearest("p", atAngle(40), 1, 0.0))).containsExactly("d40");
  }

  @Test
  void unknownPartitionHasNoMatches() {
    store.add("p", "a", atAngle(0), "text");

    assertThat(store.nearest("other", atAngle(0), 3, -1.0)).isEmpty();
  }

  @Test
  void partitionsAreIsolated() {
    store.add("tenant-a", "same-id", atAngle(0), "a's text");
    store.add("tenant-b", "same-id", atAngle(20), "b's text");
    store.add("tenant-b", "b-only", atAngle(1), "b only");

    List<VectorMatch> inA = store.nearest("tenant-a", atAngle(1), 10, -1.0);
    store.remove("tenant-a", "same-id");

    assertThat(inA).extracting(VectorMatch::text).containsExactly("a's text");
    assertThat(store.nearest("tenant-a", atAngle(0), 10, -1.0)).isEmpty();
    assertThat(ids(store.nearest("tenant-b", atAngle(0), 10, -1.0)))
        .containsExactly("b-only", "same-id");
    assertThat(store.size()).isEqualTo(2);
  }

  // ---------------------------------------------------------------- add, replace, remove

  @Test
  void addingAnExistingIdReplacesTheEntry() {
    store.add("p", "x", atAngle(0), "old");
    store.add("p", "y", atAngle(50), "other");

    store.add("p", "x", atAngle(90), "new");

    List<VectorMatch> matches = store.nearest("p", atAngle(0), 10, -1.0);
    assertThat(ids(matches)).containsExactly("y", "x");
    assertThat(matches.get(1).text()).isEqualTo("new");
    assertThat(matches.get(1).score()).isCloseTo(0.0, within(1e-6));
    assertThat(store.size()).isEqualTo(2);
  }

  @Test
  void removedEntryIsNotReturned() {
    store.add("p", "x", atAngle(0), "x");
    store.add("p", "y", atAngle(10), "y");

    store.remove("p", "x");

    assertThat(ids(store.nearest("p", atAngle(0), 10, -1.0))).containsExactly("y");
    assertThat(store.size()).isEqualTo(1);
  }

  @Test
  void removingWhatIsNotThereChangesNothing() {
    store.add("p", "x", atAngle(0), "x");

    store.remove("p", "absent");
    store.remove("absent", "x");

    assertThat(ids(store.nearest("p", atAngle(0), 10, -1.0))).containsExactly("x");
    assertThat(store.size()).isEqualTo(1);
  }

  @Test
  void partitionEmptiedByRemovalHasNoMatchesAndCanBeFilledAgain() {
    store.add("p", "x", atAngle(0), "x");
    store.remove("p", "x");

    List<VectorMatch> whileEmpty = store.nearest("p", atAngle(0), 10, -1.0);
    store.add("p", "y", atAngle(5), "y");

    assertThat(whileEmpty).isEmpty();
    assertThat(ids(store.nearest("p", atAngle(0), 10, -1.0))).containsExactly("y");
    assertThat(store.size()).isEqualTo(1);
  }

  // ---------------------------------------------------------------- expiry and size bound

  @Test
  void entryExpiresAfterTheTimeToLive() {
    store.add("p", "x", atAngle(0), "x");

    ticker.advance(TIME_TO_LIVE.minusNanos(1));
    List<VectorMatch> justBefore = store.nearest("p", atAngle(0), 10, -1.0);
    ticker.advance(Duration.ofNanos(1));

    assertThat(ids(justBefore)).containsExactly("x");
    assertThat(store.nearest("p", atAngle(0), 10, -1.0)).isEmpty();
  }

  @Test
  void replacingAnEntryRestartsItsTimeToLive() {
    store.add("p", "x", atAngle(0), "first");
    ticker.advance(TIME_TO_LIVE.dividedBy(2));
    store.add("p", "x", atAngle(0), "second");

    ticker.advance(TIME_TO_LIVE.dividedBy(2).plusSeconds(1));

    assertThat(store.nearest("p", atAngle(0), 10, -1.0)).extracting(VectorMatch::text)
        .containsExactly("second");
  }

  @Test
  void sizeBoundEvictsTheOldestFirstAcrossPartitions() {
    for (int i = 0; i < MAXIMUM_ENTRIES; i++) {
      store.add(i % 2 == 0 ? "even" : "odd", "e" + i, randomUnit(), "text");
      ticker.advance(Duration.ofSeconds(1));
    }
    float[] newest = randomUnit();

    store.add("even", "newest", newest, "text");

    assertThat(store.size()).isEqualTo(MAXIMUM_ENTRIES);
    assertThat(ids(store.nearest("even", newest, 100, -1.0))).doesNotContain("e0")
        .contains("newest", "e2");
    assertThat(ids(store.nearest("odd", newest, 100, -1.0))).contains("e1");
  }

  @Test
  void replacedEntryCountsAsNewestForEviction() {
    store.add("p", "first", atAngle(0), "text");
    for (int i = 1; i < MAXIMUM_ENTRIES; i++) {
      store.add("p", "e" + i, randomUnit(), "text");
    }
    store.add("p", "first", atAngle(0), "rewritten");

    store.add("p", "one-more", randomUnit(), "text");

    assertThat(store.size()).isEqualTo(MAXIMUM_ENTRIES);
    assertThat(ids(store.nearest("p", atAngle(0), 100, -1.0))).contains("first")
        .doesNotContain("e1");
  }

  // ---------------------------------------------------------------- threads

  @Test
  void concurrentAddsRemovesAndSearchesLoseNothing() throws Exception {
    VectorStore big = newStore(ticker, TIME_TO_LIVE, 100_000);
    int threads = 4;
    int perThread = 300;
    float[][][] vectors = new float[threads][perThread][];
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < perThread; i++) {
        vectors[t][i] = randomUnit();
      }
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      done.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < perThread; i++) {
          String partition = i % 3 == 0 ? "shared" : "p" + thread;
          big.add(partition, thread + "-" + i, vectors[thread][i], "text");
          if (i % 10 == 9) {
            big.remove(partition, thread + "-" + i); // every tenth goes again
          }
          List<VectorMatch> matches = big.nearest(partition, vectors[thread][i], 3, -1.0);
          if (i % 10 != 9 && !ids(matches).contains(thread + "-" + i)) {
            throw new AssertionError("own entry not found: " + thread + "-" + i);
          }
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> future : done) {
      future.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();

    assertThat(big.size()).isEqualTo((long) threads * perThread * 9 / 10);
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < perThread; i++) {
        String partition = i % 3 == 0 ? "shared" : "p" + t;
        List<VectorMatch> best = big.nearest(partition, vectors[t][i], 1, -1.0);
        if (i % 10 == 9) {
          assertThat(ids(best)).doesNotContain(t + "-" + i);
        } else {
          assertThat(ids(best)).as("entry %d-%d", t, i).containsExactly(t + "-" + i);
          assertThat(best.get(0).score()).isCloseTo(1.0, within(1e-5));
        }
      }
    }
  }
}
