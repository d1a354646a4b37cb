package dev.aigateway.core.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.spi.Credential;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RefreshingCredentialsTest {

  private static final Instant START = Instant.parse("2026-06-01T10:00:00Z");

  private final ManualClock clock = new ManualClock(START);

  /** Hands out access-token-SECRET-1, -2, … valid for an hour from the clock's now. */
  private final class CountingSource implements TokenSource {
    final AtomicInteger fetches = new AtomicInteger();
    volatile Duration lifetime = Duration.ofHours(1);
    volatile IOException failure;

    @Override
    public AccessToken fetchToken() throws IOException {
      int n = fetches.incrementAndGet();
      if (failure != null) {
        throw failure;
      }
      return new AccessToken("access-token-SECRET-" + n, clock.instant().plus(lifetime));
    }
  }

  /**
   * Holds its fetches (every one, or only the first) until {@link #release} is counted down, then
   * hands out the token {@code secret} names for the fetch's number, valid for an hour.
   */
  private final class HeldSource implements TokenSource {
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger fetches = new AtomicInteger();
    private final boolean firstOnly;
    private final java.util.function.IntFunction<String> secret;

    HeldSource(boolean firstOnly, java.util.function.IntFunction<String> secret) {
      this.firstOnly = firstOnly;
      this.secret = secret;
    }

    @Override
    public AccessToken fetchToken() throws IOException {
      int n = fetches.incrementAndGet();
      if (!firstOnly || n == 1) {
        try {
          release.await();
        } catch (InterruptedException e) {
          throw new IOException("interrupted");
        }
      }
      return new AccessToken(secret.apply(n), clock.instant().plusSeconds(3600));
    }
  }

  /** Runs refreshes only when the test says so, so background refreshes are seen in flight. */
  private static final class HeldExecutor implements java.util.concurrent.Executor {
    final Deque<Runnable> tasks = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable task) {
      tasks.add(task);
    }

    synchronized int pending() {
      return tasks.size();
    }

    void runAll() {
      Runnable task;
      while ((task = poll()) != null) {
        task.run();
      }
    }

    private synchronized Runnable poll() {
      return tasks.poll();
    }
  }

  private RefreshingCredentials.Builder credentials(TokenSource source) {
    return RefreshingCredentials.builder(source)
        .clock(clock)
        .executor(Runnable::run)
        .description("test tokens");
  }

  @Test
  void aTokenReadWithATrailingNewlineIsSentWithoutIt() throws Exception {
    // as read from a token file, or as an endpoint answered it
    RefreshingCredentials tokens =
        credentials(
                () ->
                    new AccessToken(" access-token-SECRET-1\r\n", START.plus(Duration.ofHours(1))))
            .build();

    Credential credential = tokens.credential();

    assertThat(credential.secret()).isEqualTo("access-token-SECRET-1");
    assertThat(dev.aigateway.core.wire.HeaderValues.notAllowedAt(credential.secret()))
        .as("the index of a character no header value may hold")
        .isEqualTo(-1);
  }

  @Test
  void aRefreshTimeoutOfCenturiesOrForeverWaitsForTheRefresh() throws Exception {
    // Longer than a long of nanoseconds (ChronoUnit.FOREVER's), the timeout saturates: calls wait
    // for the refresh as long as it takes.
    for (Duration forever :
        List.of(
            java.time.temporal.ChronoUnit.FOREVER.getDuration(),
            Duration.ofSeconds(Long.MAX_VALUE))) {
      CountingSource source = new CountingSource();
      RefreshingCredentials tokens = credentials(source).refreshTimeout(forever).build();

      assertThat(tokens.credential().secret()).as("%s", forever).isEqualTo("access-token-SECRET-1");
      assertThat(source.fetches.get()).isEqualTo(1);
    }
  }

  @Test
  void aTokenNoHeaderMayHoldFailsItsRefreshAndTheNextCallFetchesAgain() throws Exception {
    AtomicInteger fetches = new AtomicInteger();
    RefreshingCredentials tokens =
        credentials(
                () ->
                    new AccessToken(
                        fetches.incrementAndGet() == 1
                            ? "access-token-SECRET-1\nX-Injected: 1"
                            : "access-token-SECRET-2",
                        clock.instant().plus(Duration.ofHours(1))))
            .build();

    assertThatThrownBy(tokens::credential)
        .isInstanceOf(TokenRefreshException.class)
        .hasMessageContaining("not allowed in a header value")
        .hasMessageNotContaining("SECRET");
    assertThat(tokens.credential().secret()).isEqualTo("access-token-SECRET-2");
  }

  @Test
  void theFirstCallFetchesATokenAndLaterCallsReuseIt() throws Exception {
    CountingSource source = new CountingSource();
    RefreshingCredentials tokens = credentials(source).build();

    Credential first = tokens.credential();
    clock.advance(Duration.ofMinutes(30));
    Credential later = tokens.credential();

    assertThat(first.kind()).isEqualTo(Credential.Kind.BEARER_TOKEN);
    assertThat(first.secret()).isEqualTo("access-token-SECRET-1");
    assertThat(later).isSameAs(first);
    assertThat(source.fetches).hasValue(1);
    assertThat(tokens.expiresAt()).isEqualTo(START.plus(Duration.ofHours(1)));
  }

  @Test
  void aTokenDueWithinTheRefreshAheadIsRefreshedInTheBackgroundOnceWhileCallsKeepUsingIt()
      throws Exception {
    CountingSource source = new CountingSource();
    HeldExecutor executor = new HeldExecutor();
    RefreshingCredentials tokens =
        credentials(source).executor(executor).refreshAhead(Duration.ofMinutes(5)).build();
    assertThat(waitFor(tokens, executor).secret()).isEqualTo("access-token-SECRET-1");

    clock.advance(Duration.ofMinutes(54)); // 6 minutes left: not yet due
    assertThat(tokens.credential().secret()).isEqualTo("access-token-SECRET-1");
    assertThat(executor.pending()).isZero();

    clock.advance(Duration.ofMinutes(2)); // 4 minutes left: due
    for (int i = 0; i < 10; i++) {
      assertThat(tokens.credential().secret()).isEqualTo("access-token-SECRET-1");
    }
    assertThat(executor.pending()).isEqualTo(1);

    executor.runAll();
    assertThat(tokens.credential().secret()).isEqualTo("access-token-SECRET-2");
    assertThat(source.fetches).hasValue(2);
  }

  @Test
  void aShortLivedTokenIsRefreshedHalfWayThroughItsLifeNotOnEveryCall() throws Exception {
    CountingSource source = new CountingSource();
    source.lifetime = Duration.ofMinutes(4); // shorter than the 5-minute refresh-ahead
    RefreshingCredentials tokens = credentials(source).build();

    tokens.credential();
    clock.advance(Duration.ofSeconds(119));
    tokens.credential();
    assertThat(source.fetches).hasValue(1);

    clock.advance(Duration.ofSeconds(1));
    assertThat(tokens.credential().secret()).isEqualTo("access-token-SECRET-1");
    assertThat(tokens.credential().secret()).isEqualTo("access-token-SECRET-2");
    assertThat(source.fetches).hasValue(2);
  }

  @Test
  void anExpiredTokenIsReplacedBeforeTheCallGoesOn() throws Exception {
    CountingSource source = new CountingSource();
    RefreshingCredentials tokens = credentials(source).build();
    tokens.credential();

    clock.advance(Duration.ofHours(1));

    assertThat(tokens.credential().secret()).isEqualTo("access-token-SECRET-2");
    assertThat(source.fetches).hasValue(2);
  }

  @Test
  void sixtyFourCallsWaitingForATokenShareOneFetch() throws Exception {
    HeldSource slow = new HeldSource(false, n -> "access-token-SECRET-shared");
    CountDownLatch release = slow.release;
    AtomicInteger fetches = slow.fetches;
    RefreshingCredentials tokens =
        RefreshingCredentials.builder(slow)
            .clock(clock)
            .refreshTimeout(Duration.ofSeconds(30))
            .build();
    ExecutorService callers = Executors.newFixedThreadPool(64, daemon());
    CountDownLatch started = new CountDownLatch(64);
    List<Future<Credential>> calls = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      calls.add(
          callers.submit(
              () -> {
                started.countDown();
                return tokens.credential();
              }));
    }
    started.await();
    Thread.sleep(100); // let every caller reach the wait
    release.countDown();

    for (Future<Credential> call : calls) {
      assertThat(call.get(10, TimeUnit.SECONDS).secret()).isEqualTo("access-token-SECRET-shared");
    }
    assertThat(fetches).hasValue(1);
    callers.shutdownNow();
  }

  @Test
  void aCallThatFoundNoTokenUsesTheOneARefreshJustBroughtInsteadOfFetchingAgain() throws Exception {
    CountingSource source = new CountingSource();
    CountDownLatch lookedAtTheCache = new CountDownLatch(1);
    CountDownLatch goOn = new CountDownLatch(1);
    Thread[] paused = new Thread[1];
    // The first caller is held between reading the cache (empty) and asking for a refresh, while
    // a second caller's refresh runs and ends: a window every caller at expiry goes through.
    java.time.Clock pausing =
        new java.time.Clock() {
          @Override
          public java.time.ZoneId getZone() {
            return clock.getZone();
          }

          @Override
          public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            if (Thread.currentThread() == paused[0] && lookedAtTheCache.getCount() > 0) {
              lookedAtTheCache.countDown();
              try {
                goOn.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            return clock.instant();
          }
        };
    RefreshingCredentials tokens = credentials(source).clock(pausing).build();
    ExecutorService callers = Executors.newSingleThreadExecutor(daemon());
    try {
      Future<Credential> first =
          callers.submit(
              () -> {
                paused[0] = Thread.currentThread();
                return tokens.credential();
              });
      assertThat(lookedAtTheCache.await(5, TimeUnit.SECONDS)).isTrue();
      Credential second = tokens.credential();
      goOn.countDown();

      assertThat(first.get(5, TimeUnit.SECONDS).secret()).isEqualTo(second.secret());
      assertThat(source.fetches).hasValue(1);
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aFailedRefreshFailsTheWaitingCallWithoutASecretAndTheNextCallTriesAgain() throws Exception {
    CountingSource source = new CountingSource();
    source.failure =
        new IOException("the token endpoint https://login.example.com/token answered 503");
    RefreshingCredentials tokens = credentials(source).build();

    assertThatThrownBy(tokens::credential)
        .isInstanceOf(TokenRefreshException.class)
        .hasMessage(
            "test tokens: the token could not be obtained: the token endpoint"
                + " https://login.example.com/token answered 503")
        .hasCause(source.failure);

    source.failure = null;
    assertThat(tokens.credential().secret()).isEqualTo("access-token-SECRET-2");
    assertThat(source.fetches).hasValue(2);
  }

  /**
   * A source of the application's own may quote what its endpoint answered: its message is written,
   * in the WARN line and the exception alike, as the call log writes a name ({@code LogText}): line
   * breaks and text direction controls escaped, so it cannot forge a log line, and cut, so an
   * endpoint's megabyte page does not make a megabyte line.
   */
  @Test
  void aSourcesFailureMessageIsQuotedOnOneLineAndCut() {
    CountingSource source = new CountingSource();
    source.failure =
        new IOException(
            "the endpoint said:\nWARN forged line\u2028 \u202etxt.exe " + "x".repeat(100_000));
    RefreshingCredentials tokens = credentials(source).build();

    assertThatThrownBy(tokens::credential)
        .isInstanceOf(TokenRefreshException.class)
        .hasMessageStartingWith(
            "test tokens: the token could not be obtained: the endpoint said:\\nWARN forged"
                + " line\\u2028 \\u202etxt.exe xxx")
        .hasMessageEndingWith(" chars)")
        .message()
        .hasSizeLessThan(1_200);
  }

  @Test
  void aSourceThatThrowsUncheckedOrReturnsNothingIsAFailedRefresh() {
    RefreshingCredentials throwing =
        credentials(
                () -> {
                  throw new IllegalStateException("broken source");
                })
            .build();
    RefreshingCredentials empty = credentials(() -> null).build();

    assertThatThrownBy(throwing::credential)
        .isInstanceOf(IOException.class)
        .hasMessageEndingWith("could not be obtained: broken source");
    assertThatThrownBy(empty::credential)
        .isInstanceOf(IOException.class)
        .hasMessageEndingWith("the token source returned no token");
  }

  @Test
  void aRefreshSlowerThanTheTimeoutFailsItsCallsAndTheNextCallStartsAnother() throws Exception {
    HeldSource hanging = new HeldSource(true, n -> "access-token-SECRET-" + n);
    CountDownLatch release = hanging.release;
    AtomicInteger fetches = hanging.fetches;
    RefreshingCredentials tokens =
        RefreshingCredentials.builder(hanging)
            .clock(clock)
            // the second refresh runs on a new thread and must end within it on a loaded machine
            .refreshTimeout(Duration.ofSeconds(1))
            .description("slow tokens")
            .build();

    assertThatThrownBy(tokens::credential)
        .isInstanceOf(IOException.class)
        .hasMessage(
            "slow tokens: no token within the refresh timeout of PT1S; the next call tries again");
    assertThat(tokens.credential().secret()).isEqualTo("access-token-SECRET-2");

    release.countDown(); // the first refresh ends late: its older token does not replace the newer
    Thread.sleep(100);
    assertThat(tokens.credential().secret()).isEqualTo("access-token-SECRET-2");
    assertThat(fetches).hasValue(2);
  }

  @Test
  void aSourceThatNeverReturnsHoldsAtMostThreeRefreshThreadsAndLaterCallsFailAtOnce()
      throws Exception {
    HeldSource stuck = new HeldSource(false, n -> "access-token-SECRET-" + n);
    CountDownLatch release = stuck.release;
    AtomicInteger fetches = stuck.fetches;
    RefreshingCredentials tokens =
        RefreshingCredentials.builder(stuck)
            .clock(clock)
            .refreshTimeout(Duration.ofMillis(100))
            .description("stuck tokens")
            .build();
    try {
      for (int call = 0; call < RefreshingCredentials.MAX_RUNNING_REFRESHES; call++) {
        assertThatThrownBy(tokens::credential)
            .isInstanceOf(TokenRefreshException.class)
            .hasMessageContaining("no token within the refresh timeout");
      }
      for (int call = 0; call < 20; call++) {
        assertThatThrownBy(tokens::credential)
            .isInstanceOf(TokenRefreshException.class)
            .hasMessage(
                "stuck tokens: 3 token refreshes are still running past the refresh timeout of"
                    + " PT0.1S (the token source has not returned); no other starts until one of"
                    + " them returns");
      }
      assertThat(fetches).hasValue(RefreshingCredentials.MAX_RUNNING_REFRESHES);
    } finally {
      release.countDown();
    }

    // once the source returns, the newest token it brought serves calls (the stuck refreshes
    // return in any order; an older one never replaces a newer) and refreshes start again
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!newestServes(tokens, "access-token-SECRET-3") && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(tokens.credential().secret()).isEqualTo("access-token-SECRET-3");
    tokens.invalidate(tokens.credential());
    assertThat(tokens.credential().secret()).isEqualTo("access-token-SECRET-4");
    assertThat(fetches).hasValue(4);
  }

  /** Whether {@code tokens} has a token cached and it is {@code secret}. */
  private static boolean newestServes(RefreshingCredentials tokens, String secret)
      throws IOException {
    return tokens.expiresAt() != null && tokens.credential().secret().equals(secret);
  }

  @Test
  void aBackgroundRefreshSlowerThanTheTimeoutIsFollowedByAnotherBeforeTheTokenExpires()
      throws Exception {
    CountingSource source = new CountingSource();
    HeldExecutor executor = new HeldExecutor(); // a refresh handed to it hangs until run
    RefreshingCredentials tokens =
        credentials(source)
            .executor(executor)
            .refreshAhead(Duration.ofMinutes(5))
            .refreshTimeout(Duration.ofMillis(500))
            .build();
    Credential first = waitFor(tokens, executor);

    clock.advance(Duration.ofMinutes(56)); // 4 minutes left: due
    assertThat(tokens.credential()).isSameAs(first);
    assertThat(executor.pending()).isEqualTo(1); // the background refresh hangs

    Thread.sleep(700); // past its refresh timeout, while the token is still valid
    assertThat(tokens.credential()).isSameAs(first);
    // The overdue refresh is given up as a waiting call gives it up: the next call starts another
    // in the background, rather than none until the token expires and calls have to wait.
    assertThat(executor.pending()).isEqualTo(2);
    executor.runAll();
    assertThat(tokens.credential().secret()).isEqualTo("access-token-SECRET-3");
  }

  @Test
  void aFailedBackgroundRefreshKeepsTheTokenAndIsRetriedAfterAPause() throws Exception {
    CountingSource source = new CountingSource();
    HeldExecutor executor = new HeldExecutor();
    RefreshingCredentials tokens = credentials(source).executor(executor).build();
    Credential first = waitFor(tokens, executor);

    clock.advance(Duration.ofMinutes(56));
    source.failure = new IOException("token endpoint down");
    tokens.credential();
    executor.runAll(); // fails
    assertThat(tokens.credential()).isSameAs(first);
    assertThat(executor.pending()).isZero(); // no new attempt yet: no storm

    clock.advance(RefreshingCredentials.BACKGROUND_RETRY);
    source.failure = null;
    assertThat(tokens.credential()).isSameAs(first);
    executor.runAll();
    assertThat(tokens.credential().secret()).isEqualTo("access-token-SECRET-3");
  }

  @Test
  void invalidatingTheRefusedTokenMakesTheNextCallFetchAndManyInvalidationsFetchOnce()
      throws Exception {
    CountingSource source = new CountingSource();
    RefreshingCredentials tokens = credentials(source).build();
    Credential refused = tokens.credential();

    assertThat(tokens.invalidate(refused)).isTrue();
    Credential fresh = tokens.credential();
    for (int i = 0; i < 63; i++) {
      assertThat(tokens.invalidate(refused)).isTrue(); // late 401s of the same old token
    }

    assertThat(fresh.secret()).isEqualTo("access-token-SECRET-2");
    assertThat(tokens.credential()).isSameAs(fresh);
    assertThat(source.fetches).hasValue(2);
  }

  @Test
  void neitherToStringNorAccessTokenShowsTheToken() throws Exception {
    CountingSource source = new CountingSource();
    RefreshingCredentials tokens = credentials(source).build();
    Credential credential = tokens.credential();

    assertThat(tokens.toString())
        .isEqualTo("RefreshingCredentials{test tokens, token expires 2026-06-01T11:00:00Z}")
        .doesNotContain("SECRET");
    assertThat(credential.toString()).doesNotContain("SECRET");
    assertThat(source.fetchToken().toString()).doesNotContain("SECRET");
  }

  @Test
  void settingsAreCheckedWhenSet() {
    RefreshingCredentials.Builder builder = credentials(new CountingSource());

    assertThatThrownBy(() -> builder.refreshAhead(Duration.ofSeconds(-1)))
        .hasMessage("refreshAhead must not be negative, was PT-1S");
    assertThatThrownBy(() -> builder.refreshTimeout(Duration.ZERO))
        .hasMessage("refreshTimeout must be positive, was PT0S");
    assertThatThrownBy(() -> new AccessToken(" ", START))
        .hasMessage("an access token must be non-blank");
  }

  @Test
  void aCallThatEndsWhileWaitingForATokenStopsWaitingAndTheRefreshServesTheNextCall()
      throws Exception {
    HeldSource slow = new HeldSource(false, n -> "access-token-SECRET-1");
    CountDownLatch release = slow.release;
    AtomicInteger fetches = slow.fetches;
    RefreshingCredentials tokens =
        RefreshingCredentials.builder(slow)
            .clock(clock)
            .refreshTimeout(Duration.ofMinutes(5))
            .description("slow tokens")
            .build();
    AtomicBoolean ended = new AtomicBoolean();
    Future<Credential> call =
        Executors.newSingleThreadExecutor(daemon())
            .submit(() -> tokens.credentialForCall(ended::get));

    ended.set(true); // the call is cancelled, or its timeout passes, while the token is awaited

    assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(InterruptedIOException.class)
        .cause()
        .hasMessage(
            "slow tokens: the call ended (cancelled or timed out) while it waited for a token");
    release.countDown(); // the refresh goes on, and the next call gets its token, fetched once
    assertThat(tokens.credentialForCall(() -> false).secret()).isEqualTo("access-token-SECRET-1");
    assertThat(fetches).hasValue(1);
  }

  private static Credential waitFor(RefreshingCredentials tokens, HeldExecutor executor)
      throws Exception {
    Future<Credential> call =
        Executors.newSingleThreadExecutor(daemon()).submit(tokens::credential);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!call.isDone() && System.nanoTime() < deadline) {
      executor.runAll();
      Thread.sleep(1);
    }
    return call.get(1, TimeUnit.SECONDS);
  }

  private static java.util.concurrent.ThreadFactory daemon() {
    return task -> {
      Thread thread = new Thread(task);
      thread.setDaemon(true);
      return thread;
    };
  }
}
