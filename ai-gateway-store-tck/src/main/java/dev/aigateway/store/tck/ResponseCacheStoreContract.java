package dev.aigateway.store.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.ResponseCacheStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The behaviour every {@link ResponseCacheStore} must show, as its javadoc states it: byte-exact
 * answers, partitions that never share entries, replacement, removal, expiry, no mixed entries
 * under concurrency, and no answer kept that is longer than the body bound the store states.
 *
 * <p>To run it against a store, extend it in the store's tests:
 *
 * <pre>{@code
 * class RedisResponseCacheStoreTest extends ResponseCacheStoreContract {
 *   private ManualClock clock;                       // any clock the test can move
 *
 *   @Override
 *   protected ResponseCacheStore newStore() {
 *     server.command("FLUSHALL");                    // empty
 *     clock = ManualClock.at("2026-01-15T10:00:00Z");
 *     return RedisResponseCacheStore.builder(redis).timeToLive(TTL).clock(clock).build();
 *   }
 *
 *   @Override
 *   protected TimeControl time() {
 *     return clock::advance;                         // or TimeControl.NONE
 *   }
 * }
 * }</pre>
 *
 * A store whose time a test cannot move returns {@link TimeControl#NONE}, and the tests marked
 * {@link NeedsTimeControl} are then skipped.
 */
public abstract class ResponseCacheStoreContract {

  /** How long entries of {@link #newStore} live. */
  protected static final Duration TTL = Duration.ofMinutes(10);

  /** The least room {@link #newStore} has, in bytes of entries. */
  protected static final long ROOM_BYTES = 1L << 20;

  /** The store under test, fresh for every test. */
  protected ResponseCacheStore store;

  private TimeControl time;

  /**
   * A fresh, empty store whose entries live {@link #TTL}, with room for at least {@link
   * #ROOM_BYTES}. Its time stands still until {@link #time()} moves it.
   */
  protected abstract ResponseCacheStore newStore();

  /**
   * How to move the time of the store {@link #newStore} just made; called right after it. {@link
   * TimeControl#NONE} skips the tests that need time control.
   */
  protected abstract TimeControl time();

  @BeforeEach
  void createStore(TestInfo test) {
    store = newStore();
    time = time();
    Suites.skipWithoutTimeControl(time, test);
  }

  /** Moves the store's time on. */
  protected void advance(Duration duration) {
    time.advance(duration);
  }

  /** A small JSON answer with {@code body} as its bytes. */
  protected static CachedResponse entry(String body) {
    return new CachedResponse(
        CachedResponse.Format.JSON,
        body.getBytes(StandardCharsets.UTF_8),
        "gpt-4o",
        Usage.of(3, 4),
        Instant.parse("2026-11-24T00:00:00Z"));
  }

  @Test
  void returnsWhatWasStoredByteForByte() {
    CachedResponse stored =
        new CachedResponse(
            CachedResponse.Format.SSE,
            "data: {\"a\":\"\u00e9\u4e2d\"}\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.UTF_8),
            "gpt-4o-2024",
            Usage.of(11, 9),
            Instant.parse("2026-11-24T10:15:30Z"));

    store.put("tenant-a", "k1", stored);

    CachedResponse read = store.get("tenant-a", "k1").orElseThrow();
    assertThat(read.body()).isEqualTo(stored.body());
    assertThat(read.format()).isEqualTo(CachedResponse.Format.SSE);
    assertThat(read.model()).isEqualTo("gpt-4o-2024");
    assertThat(read.usage()).isEqualTo(Usage.of(11, 9));
    assertThat(read.storedAt()).isEqualTo(stored.storedAt());
  }

  @Test
  void returnsEveryCountOfTheUsageItWasStoredWith() {
    Usage usage = new Usage(1_000, 200, 1_200, 300, 50, 400, 60, 70, 80);
    CachedResponse stored =
        new CachedResponse(
            CachedResponse.Format.JSON,
            "{}".getBytes(StandardCharsets.UTF_8),
            "claude-sonnet-4-5",
            usage,
            Instant.parse("2026-11-24T10:15:30Z"));

    store.put("tenant-a", "detailed", stored);

    assertThat(store.get("tenant-a", "detailed").orElseThrow().usage()).isEqualTo(usage);
  }

  @Test
  void anAnswerLongerThanTheStatedBodyBoundIsNotStored() {
    int bound = store.maximumBodyBytes();
    assertThat(bound).as("maximumBodyBytes").isNotNegative();
    assumeTrue(bound < ROOM_BYTES, "the store states no bound within its room");
    CachedResponse tooLong =
        new CachedResponse(
            CachedResponse.Format.JSON,
            new byte[bound + 1],
            null,
            Usage.of(3, 4),
            Instant.parse("2026-11-24T00:00:00Z"));

    store.put("", "", tooLong); // the least an entry can hold besides its body

    assertThat(store.get("", "")).isEmpty();
  }

  @Test
  void missesAreEmpty() {
    assertThat(store.get("tenant-a", "absent")).isEmpty();
  }

  @Test
  void partitionsNeverShareEntries() {
    store.put("tenant-a", "same-key", entry("a"));
    store.put("tenant-b", "same-key", entry("b"));

    assertThat(store.get("tenant-a", "same-key").orElseThrow().body()).isEqualTo(new byte[] {'a'});
    assertThat(store.get("tenant-b", "same-key").orElseThrow().body()).isEqualTo(new byte[] {'b'});
    assertThat(store.get("tenant-c", "same-key")).isEmpty();
  }

  @Test
  void partitionAndKeyDoNotRunTogether() {
    store.put("ab", "c", entry("first"));

    assertThat(store.get("a", "bc")).isEmpty();
  }

  /**
   * Partitions and keys are the application's strings: ones that are not well-formed UTF-16 (an
   * unpaired surrogate, which a text encoding would replace with '?') are kept apart from every
   * other string and returned as stored.
   */
  @Test
  void partitionsAndKeysThatATextEncodingWouldMergeNeverShareEntries() {
    store.put("tenant\ud800", "key", entry("lone high surrogate"));
    store.put("tenant?", "key", entry("question mark"));
    store.put("tenant", "key\udc00", entry("lone low surrogate in the key"));

    assertThat(store.get("tenant\ud800", "key").orElseThrow().body())
        .isEqualTo("lone high surrogate".getBytes(StandardCharsets.UTF_8));
    assertThat(store.get("tenant?", "key").orElseThrow().body())
        .isEqualTo("question mark".getBytes(StandardCharsets.UTF_8));
    assertThat(store.get("tenant\udc00", "key")).isEmpty();
    assertThat(store.get("tenant", "key?")).isEmpty();
    assertThat(store.get("tenant", "key\udc00").orElseThrow().body())
        .isEqualTo("lone low surrogate in the key".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aLaterPutReplaces() {
    store.put("p", "k", entry("old"));
    store.put("p", "k", entry("new"));

    assertThat(new String(store.get("p", "k").orElseThrow().body(), StandardCharsets.UTF_8))
        .isEqualTo("new");
  }

  @Test
  void removeForgets() {
    store.put("p", "k", entry("x"));
    store.remove("p", "k");
    store.remove("p", "never-there");

    assertThat(store.get("p", "k")).isEmpty();
  }

  @Test
  @NeedsTimeControl
  void entriesExpireAfterTheTimeToLive() {
    store.put("p", "k", entry("x"));

    advance(TTL.minusSeconds(1));
    assertThat(store.get("p", "k")).isPresent();
    advance(Duration.ofSeconds(2));
    assertThat(store.get("p", "k")).isEmpty();
  }

  @Test
  void concurrentPutsAndGetsNeverMixEntries() throws Exception {
    Concurrently.run(
        4,
        thread -> {
          for (int i = 0; i < 2_000; i++) {
            String key = "k" + (i % 50);
            store.put("p" + thread, key, entry(thread + ":" + key));
            store
                .get("p" + thread, key)
                .ifPresent(
                    read ->
                        assertThat(new String(read.body(), StandardCharsets.UTF_8))
                            .isEqualTo(thread + ":" + key));
          }
        });
  }
}
