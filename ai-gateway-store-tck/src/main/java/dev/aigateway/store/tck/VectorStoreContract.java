package dev.aigateway.store.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import dev.aigateway.api.spi.VectorMatch;
import dev.aigateway.api.spi.VectorStore;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The behaviour every {@link VectorStore} must show, as its javadoc states it: best matches first
 * with their cosine similarity, isolated partitions, replacement and removal, expiry, a size bound
 * that evicts the oldest writes first, and nothing lost under concurrency.
 *
 * <p>To run it against a store, extend it in the store's tests:
 *
 * <pre>{@code
 * class RedisVectorStoreTest extends VectorStoreContract {
 *   private ManualClock clock;                       // any clock the test can move
 *
 *   @Override
 *   protected VectorStore newStore(Duration timeToLive, long maximumEntries) {
 *     clock = ManualClock.at("2026-01-15T10:00:00Z");
 *     return RedisVectorStore.builder(redis)          // empty: a name no earlier test used
 *         .name("t" + names.incrementAndGet())
 *         .timeToLive(timeToLive).maximumEntries(maximumEntries).clock(clock)
 *         .build();
 *   }
 *
 *   @Override
 *   protected TimeControl time() {
 *     return clock::advance;                         // or TimeControl.NONE
 *   }
 * }
 * }</pre>
 *
 * The tests marked {@link NeedsTimeControl} (expiry) are skipped for {@link TimeControl#NONE}.
 * Partitions here are small, so an approximate store is expected to find every match.
 */
public abstract class VectorStoreContract {

  /** The time to live of {@link #store}. */
  protected static final Duration TIME_TO_LIVE = Duration.ofMinutes(10);

  /** The size bound of {@link #store}. */
  protected static final long MAXIMUM_ENTRIES = 50;

  /** Dimensions of the random vectors the tests use. */
  protected static final int DIMENSIONS = 32;

  /** The store under test: fresh per test, {@link #TIME_TO_LIVE} and {@link #MAXIMUM_ENTRIES}. */
  protected VectorStore store;

  /** A seeded source of random vectors. */
  protected final Random random = new Random(20250115);

  private TimeControl time;

  /**
   * A fresh, empty store that lets entries live {@code timeToLive} and holds at most {@code
   * maximumEntries}. Its time stands still until {@link #time()} moves it; stores made for one test
   * share that time.
   */
  protected abstract VectorStore newStore(Duration timeToLive, long maximumEntries);

  /**
   * How to move the time of the stores {@link #newStore} makes; called right after it made {@link
   * #store}. {@link TimeControl#NONE} skips the tests that need time control.
   */
  protected abstract TimeControl time();

  @BeforeEach
  void createStore(TestInfo test) {
    store = newStore(TIME_TO_LIVE, MAXIMUM_ENTRIES);
    time = time();
    Suites.skipWithoutTimeControl(time, test);
  }

  // ---------------------------------------------------------------- helpers

  /** Moves the store's time on. */
  protected void advance(Duration duration) {
    time.advance(duration);
  }

  /** A random unit vector: Gaussian components, scaled to length 1. */
  protected static float[] randomUnit(Random random, int dimensions) {
    float[] vector = new float[dimensions];
    double squares = 0;
    for (int i = 0; i < dimensions; i++) {
      vector[i] = (float) random.nextGaussian();
      squares += (double) vector[i] * vector[i];
    }
    double scale = 1.0 / Math.sqrt(squares);
    for (int i = 0; i < dimensions; i++) {
      vector[i] = (float) (vector[i] * scale);
    }
    return vector;
  }

  /** The unit vector at {@code degrees} from the first axis towards the second. */
  protected static float[] atAngle(double degrees) {
    float[] vector = new float[DIMENSIONS];
    vector[0] = (float) Math.cos(Math.toRadians(degrees));
    vector[1] = (float) Math.sin(Math.toRadians(degrees));
    return vector;
  }

  /** The dot product: the cosine similarity of unit vectors. */
  protected static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }

  /** The ids of the matches, in order. */
  protected static List<String> ids(List<VectorMatch> matches) {
    return matches.stream().map(VectorMatch::id).toList();
  }

  /** A random unit vector of {@link #DIMENSIONS}. */
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
  void aVectorWithANonFiniteComponentIsRefusedAndNeverMatches() {
    store.add("p", "a", atAngle(0), "text");
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      float[] vector = atAngle(0);
      vector[1] = bad;

      assertThatThrownBy(() -> store.add("p", "bad", vector, "text"))
          .as("add with %s", bad)
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.nearest("p", vector, 3, -1.0))
          .as("nearest with %s", bad)
          .isInstanceOf(IllegalArgumentException.class);
    }

    assertThat(ids(store.nearest("p", atAngle(0), 3, -1.0))).containsExactly("a");
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

  /**
   * Partitions and ids are the application's strings: ones that are not well-formed UTF-16 (an
   * unpaired surrogate, which a text encoding would replace with '?') are kept apart from every
   * other string, and come back as they were given.
   */
  @Test
  void partitionsAndIdsThatATextEncodingWouldMergeAreKeptApart() {
    store.add("tenant\ud800", "id", atAngle(0), "high surrogate's text \ud800");
    store.add("tenant?", "id", atAngle(0), "question mark's text");
    store.add("tenant", "id\udc00", atAngle(0), "low surrogate's text");
    store.add("tenant", "id?", atAngle(1), "other text");

    assertThat(store.nearest("tenant\ud800", atAngle(0), 10, -1.0))
        .extracting(VectorMatch::id, VectorMatch::text)
        .containsExactly(tuple("id", "high surrogate's text \ud800"));
    assertThat(store.nearest("tenant?", atAngle(0), 10, -1.0))
        .extracting(VectorMatch::text)
        .containsExactly("question mark's text");
    assertThat(ids(store.nearest("tenant", atAngle(0), 10, -1.0)))
        .containsExactly("id\udc00", "id?");
    assertThat(store.size()).isEqualTo(4);
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
  @NeedsTimeControl
  void entryExpiresAfterTheTimeToLive() {
    store.add("p", "x", atAngle(0), "x");

    advance(TIME_TO_LIVE.minusNanos(1));
    List<VectorMatch> justBefore = store.nearest("p", atAngle(0), 10, -1.0);
    advance(Duration.ofNanos(1));

    assertThat(ids(justBefore)).containsExactly("x");
    assertThat(store.nearest("p", atAngle(0), 10, -1.0)).isEmpty();
  }

  @Test
  @NeedsTimeControl
  void replacingAnEntryRestartsItsTimeToLive() {
    store.add("p", "x", atAngle(0), "first");
    advance(TIME_TO_LIVE.dividedBy(2));
    store.add("p", "x", atAngle(0), "second");

    advance(TIME_TO_LIVE.dividedBy(2).plusSeconds(1));

    assertThat(store.nearest("p", atAngle(0), 10, -1.0))
        .extracting(VectorMatch::text)
        .containsExactly("second");
  }

  @Test
  void sizeBoundEvictsTheOldestFirstAcrossPartitions() {
    for (int i = 0; i < MAXIMUM_ENTRIES; i++) {
      store.add(i % 2 == 0 ? "even" : "odd", "e" + i, randomUnit(), "text"); // oldest: e0
    }
    float[] newest = randomUnit();

    store.add("even", "newest", newest, "text");

    assertThat(store.size()).isEqualTo(MAXIMUM_ENTRIES);
    assertThat(ids(store.nearest("even", newest, 100, -1.0)))
        .doesNotContain("e0")
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
    assertThat(ids(store.nearest("p", atAngle(0), 100, -1.0)))
        .contains("first")
        .doesNotContain("e1");
  }

  // ---------------------------------------------------------------- threads

  @Test
  void concurrentAddsRemovesAndSearchesLoseNothing() throws Exception {
    VectorStore big = newStore(TIME_TO_LIVE, 100_000);
    int threads = 4;
    int perThread = 300;
    float[][][] vectors = new float[threads][perThread][];
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < perThread; i++) {
        vectors[t][i] = randomUnit();
      }
    }

    Concurrently.run(
        threads,
        thread -> {
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
        });

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
