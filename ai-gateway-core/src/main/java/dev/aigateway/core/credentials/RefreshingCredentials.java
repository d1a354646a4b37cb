package dev.aigateway.core.credentials;

import dev.aigateway.api.LogText;
import dev.aigateway.api.spi.Credential;
import dev.aigateway.api.spi.CredentialProvider;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link CredentialProvider} that caches the bearer token a {@link TokenSource} fetches and
 * refreshes it before it expires: the base of every token credential of the library ({@link
 * OAuthClientCredentials}, the Microsoft Entra ID module), and of an application's own.
 *
 * <pre>{@code
 * CredentialProvider tokens =
 *     RefreshingCredentials.builder(() -> new AccessToken(readTokenFile(), expiry()))
 *         .refreshAhead(Duration.ofMinutes(5))
 *         .build();
 * }</pre>
 *
 * <p><b>When it refreshes.</b> A token is used as it is until {@link Builder#refreshAhead} before
 * it expires (at most half its lifetime before, so that a short-lived token is not refreshed on
 * every call). From then until it expires, the first call starts a refresh in the background and
 * every call keeps using the current token; if that refresh fails, the next one is tried {@link
 * #BACKGROUND_RETRY} later, and if it takes longer than the refresh timeout, the next call starts
 * another. Once the token has expired, or before the first one, calls wait for a refresh, at most
 * {@link Builder#refreshTimeout} from when it started.
 *
 * <p><b>One refresh at a time.</b> However many calls find the token due, they share one refresh:
 * the source is called once. When it fails, every call waiting for it gets an {@link IOException}
 * saying why, and the next call starts a new one. When it takes longer than the refresh timeout,
 * its waiting calls fail, the next call starts another, and a token the late one still brings is
 * kept if no later one came first. A source that never returns would so hold one more thread every
 * refresh timeout: at most {@value #MAX_RUNNING_REFRESHES} refreshes run at once (the one under way
 * and those given up that have not returned); while that many run, calls that need a token fail at
 * once with a {@link TokenRefreshException} saying so (logged once), until one of them returns.
 *
 * <p><b>A refused token.</b> When a backend answers 401, {@link #invalidate} drops the token it
 * refused (if it is still the cached one), so the gateway's retry waits for a new one; many calls
 * refused with the same token cause one refresh.
 *
 * <p>Thread-safe; a call that finds a valid token reads a volatile field and the clock, nothing
 * more. The token never appears in {@link #toString()}, a log line or an exception.
 */
public final class RefreshingCredentials implements CredentialProvider {

  /** The default {@link Builder#refreshAhead}: 5 minutes, as Azure's identity libraries use. */
  public static final Duration DEFAULT_REFRESH_AHEAD = Duration.ofMinutes(5);

  /** The default {@link Builder#refreshTimeout}: 10 seconds. */
  public static final Duration DEFAULT_REFRESH_TIMEOUT = Duration.ofSeconds(10);

  /** How long after a failed background refresh (the token still valid) the next is tried. */
  public static final Duration BACKGROUND_RETRY = Duration.ofSeconds(5);

  /**
   * How many refreshes may run at once: the one under way and those given up (past the refresh
   * timeout) whose source has not returned.
   */
  public static final int MAX_RUNNING_REFRESHES = 3;

  /** How often a call waiting for a refresh looks whether it has ended: every 20 ms. */
  private static final long ABANDON_CHECK_NANOS = Duration.ofMillis(20).toNanos();

  /** The check of a call that cannot end while it waits. */
  private static final BooleanSupplier NEVER_ABANDONED = () -> false;

  private static final Logger log = LoggerFactory.getLogger(RefreshingCredentials.class);

  /**
   * The most of a token source's failure message quoted: the token endpoint's and Entra ID's whole
   * (they cut the remote party's words shorter), not a page a source of one's own quoted.
   */
  private static final int MAX_FAILURE_CHARS = 1_000;

  private final TokenSource source;
  private final String description;
  private final Duration refreshAhead;
  private final Duration refreshTimeout;
  private final Clock clock;
  private final Executor executor;

  private final Object lock = new Object();

  /** The token in use; null before the first and after an invalidation. */
  private volatile @Nullable Cached cached;

  /** The refresh under way, or null. Guarded by {@link #lock}. */
  private @Nullable Refresh inFlight;

  /** Numbers refreshes in the order they started. Guarded by {@link #lock}. */
  private long refreshes;

  /** The refresh whose token is cached. Guarded by {@link #lock}. */
  private long cachedRefresh;

  /** Refreshes handed to the executor that have not returned. Guarded by {@link #lock}. */
  private int running;

  /** Whether the bound of running refreshes was logged since it was last left. By {@link #lock}. */
  private boolean warnedOfRunning;

  /** No background refresh starts before this. Guarded by {@link #lock}. */
  private Instant backgroundAfter = Instant.MIN;

  private RefreshingCredentials(Builder b) {
    this.source = Objects.requireNonNull(b.source, "source");
    this.description =
        b.description != null ? b.description : "token source " + source.getClass().getName();
    this.refreshAhead = b.refreshAhead;
    this.refreshTimeout = b.refreshTimeout;
    this.clock = b.clock;
    this.executor = b.executor != null ? b.executor : RefreshThreads.EXECUTOR;
  }

  /** A builder of credentials that cache and refresh the tokens {@code source} fetches. */
  public static Builder builder(TokenSource source) {
    return new Builder().source(source);
  }

  /**
   * A builder whose {@link Builder#source} is given later: for a credential type that takes the
   * cache settings from its users and makes its source when it is built.
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The cached token as a bearer credential, refreshed first when it has expired (or in the
   * background when it is due).
   *
   * @throws TokenRefreshException when the token has expired and no new one came: the refresh
   *     failed (the message and cause say why) or took longer than the refresh timeout
   * @throws InterruptedIOException when the thread was interrupted while waiting
   */
  @Override
  public Credential credential() throws IOException {
    return credentialForCall(NEVER_ABANDONED);
  }

  /**
   * As {@link #credential()}, for a call that may end while it waits for a refresh: the wait looks
   * every 20 ms whether {@code abandoned} says the call has ended (cancelled, or its client's call
   * timeout passed; a client's cancel does not interrupt the waiting thread), and then gives up.
   * The refresh goes on for the calls still waiting and the next ones.
   *
   * @throws InterruptedIOException when the call ended, or the thread was interrupted, while
   *     waiting
   */
  @Override
  public Credential credentialForCall(BooleanSupplier abandoned) throws IOException {
    Objects.requireNonNull(abandoned, "abandoned");
    Cached current = cached;
    Instant now = clock.instant();
    if (current != null && now.isBefore(current.refreshAt)) {
      return current.credential;
    }
    if (current != null && now.isBefore(current.expiresAt)) {
      refreshInBackground(now);
      return current.credential;
    }
    return await(refresh(now), abandoned);
  }

  /**
   * Drops {@code refused} if it is the cached token, so that the next {@link #credential()} waits
   * for a new one. Returns true: a token can always be fetched again.
   */
  @Override
  public boolean invalidate(Credential refused) {
    Objects.requireNonNull(refused, "refused");
    synchronized (lock) {
      Cached current = cached;
      if (current != null && current.credential.secret().equals(refused.secret())) {
        cached = null;
        log.debug("ai-gateway: {}: a backend refused the token; it is dropped", description);
      }
    }
    return true;
  }

  /** When the cached token expires, or null when none is cached. */
  public @Nullable Instant expiresAt() {
    Cached current = cached;
    return current == null ? null : current.expiresAt;
  }

  @Override
  public String toString() {
    Cached current = cached;
    return "RefreshingCredentials{"
        + description
        + (current == null ? ", no token" : ", token expires " + current.expiresAt)
        + "}";
  }

  private void refreshInBackground(Instant now) {
    synchronized (lock) {
      if (inFlight != null && System.nanoTime() - inFlight.deadlineNanos >= 0) {
        inFlight = null; // overdue: given up, as a waiting call gives it up; another is started
      }
      if (inFlight != null || now.isBefore(backgroundAfter)) {
        return;
      }
      start();
    }
  }

  /**
   * The refresh under way, or a new one; for a call that found no valid token at {@code now}. A
   * token a refresh brought since the call looked is given as it is, not fetched again.
   */
  private Refresh refresh(Instant now) {
    synchronized (lock) {
      Cached latest = cached;
      if (latest != null && now.isBefore(latest.expiresAt)) {
        Refresh done = new Refresh(cachedRefresh, System.nanoTime());
        done.result.complete(latest);
        return done;
      }
      if (inFlight != null && System.nanoTime() - inFlight.deadlineNanos >= 0) {
        inFlight = null; // overdue: its waiters gave up; a new one is started
      }
      return inFlight != null ? inFlight : start();
    }
  }

  /**
   * Starts a refresh, or, while {@value #MAX_RUNNING_REFRESHES} still run, gives one that has
   * failed already; the caller holds the lock.
   */
  private Refresh start() {
    if (running >= MAX_RUNNING_REFRESHES) {
      String why =
          description
              + ": "
              + running
              + " token refreshes are still running past the refresh timeout of "
              + refreshTimeout
              + " (the token source has not returned); no other starts until one of them returns";
      if (!warnedOfRunning) {
        warnedOfRunning = true;
        log.warn("ai-gateway: {}", why);
      }
      Refresh refused = new Refresh(refreshes, System.nanoTime());
      refused.result.completeExceptionally(new TokenRefreshException(why));
      return refused;
    }
    Refresh refresh =
        new Refresh(++refreshes, System.nanoTime() + TimeUnit.NANOSECONDS.convert(refreshTimeout));
    inFlight = refresh;
    running++;
    try {
      executor.execute(() -> run(refresh));
    } catch (RejectedExecutionException e) {
      inFlight = null;
      running--;
      refresh.result.completeExceptionally(
          new TokenRefreshException(description + ": the token refresh could not be started", e));
    }
    return refresh;
  }

  private void run(Refresh refresh) {
    Cached fetched = null;
    Throwable failure = null;
    try {
      AccessToken token = source.fetchToken();
      if (token == null) {
        throw new IOException("the token source returned no token");
      }
      fetched = new Cached(token, clock.instant(), refreshAhead);
    } catch (Throwable e) { // reported to the calls waiting for it, and the next call retries
      failure = e;
    }
    synchronized (lock) {
      running--;
      if (running < MAX_RUNNING_REFRESHES) {
        warnedOfRunning = false;
      }
      if (inFlight == refresh) {
        inFlight = null;
      }
      if (fetched != null && refresh.number > cachedRefresh) {
        cached = fetched;
        cachedRefresh = refresh.number;
      }
      if (failure != null) {
        backgroundAfter = clock.instant().plus(BACKGROUND_RETRY);
      }
    }
    if (fetched != null) {
      log.debug("ai-gateway: {}: new token, expires {}", description, fetched.expiresAt);
      refresh.result.complete(fetched);
    } else {
      log.warn("ai-gateway: {}: the token refresh failed: {}", description, describe(failure));
      refresh.result.completeExceptionally(failure);
    }
    if (failure instanceof VirtualMachineError error) {
      throw error;
    }
  }

  private Credential await(Refresh refresh, BooleanSupplier abandoned) throws IOException {
    try {
      while (true) {
        long wait = refresh.deadlineNanos - System.nanoTime();
        long slice = abandoned == NEVER_ABANDONED ? wait : Math.min(wait, ABANDON_CHECK_NANOS);
        try {
          return refresh.result.get(Math.max(0, slice), TimeUnit.NANOSECONDS).credential;
        } catch (TimeoutException e) {
          if (slice >= wait) {
            throw e;
          }
        }
        if (abandoned.getAsBoolean()) {
          throw new InterruptedIOException(
              description
                  + ": the call ended (cancelled or timed out) while it waited for a token");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException interrupted =
          new InterruptedIOException(description + ": interrupted waiting for a token");
      interrupted.initCause(e);
      throw interrupted;
    } catch (TimeoutException e) {
      synchronized (lock) {
        if (inFlight == refresh) {
          inFlight = null; // the next call starts another
        }
      }
      throw new TokenRefreshException(
          description
              + ": no token within the refresh timeout of "
              + refreshTimeout
              + "; the next call tries again");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof TokenRefreshException own) {
        // a refresh that never started: its message names this source and says why already
        throw new TokenRefreshException(own.getMessage(), own.getCause());
      }
      throw new TokenRefreshException(
          description + ": the token could not be obtained: " + describe(cause), cause);
    }
  }

  /**
   * A failure as its message, else its class name. The message is a source's own (it may quote what
   * an endpoint answered): written as {@link LogText} writes a text, on one line and cut at {@value
   * #MAX_FAILURE_CHARS} characters, since it goes into a WARN line and the calls' exceptions.
   */
  private static String describe(Throwable failure) {
    String message = failure.getMessage();
    return message == null || message.isBlank()
        ? failure.getClass().getName()
        : LogText.append(new StringBuilder(), message, MAX_FAILURE_CHARS).toString();
  }

  /** A fetched token, its credential and when to refresh it. */
  private static final class Cached {
    final Credential credential;
    final Instant refreshAt;
    final Instant expiresAt;

    Cached(AccessToken token, Instant fetchedAt, Duration refreshAhead) {
      this.credential = new Credential(Credential.Kind.BEARER_TOKEN, token.token());
      this.expiresAt = token.expiresAt();
      Duration lifetime = Duration.between(fetchedAt, expiresAt);
      Duration ahead =
          lifetime.isNegative()
              ? Duration.ZERO
              : refreshAhead.compareTo(lifetime.dividedBy(2)) < 0
                  ? refreshAhead
                  : lifetime.dividedBy(2);
      this.refreshAt = expiresAt.minus(ahead);
    }
  }

  /** One refresh: its number (later ones win), its deadline, its result. */
  private static final class Refresh {
    final long number;
    final long deadlineNanos;
    final CompletableFuture<Cached> result = new CompletableFuture<>();

    Refresh(long number, long deadlineNanos) {
      this.number = number;
      this.deadlineNanos = deadlineNanos;
    }
  }

  /** The daemon threads refreshes run on unless a builder gives an executor. */
  private static final class RefreshThreads {
    static final ExecutorService EXECUTOR =
        Executors.newCachedThreadPool(
            new java.util.concurrent.ThreadFactory() {
              private final AtomicInteger count = new AtomicInteger();

              @Override
              public Thread newThread(Runnable task) {
                Thread thread =
                    new Thread(task, "ai-gateway-token-refresh-" + count.incrementAndGet());
                thread.setDaemon(true);
                return thread;
              }
            });
  }

  /** Configures {@link RefreshingCredentials}. Not thread-safe; {@link #build()} copies it. */
  public static final class Builder {
    private @Nullable TokenSource source;
    private @Nullable String description;
    private Duration refreshAhead = DEFAULT_REFRESH_AHEAD;
    private Duration refreshTimeout = DEFAULT_REFRESH_TIMEOUT;
    private Clock clock = Clock.systemUTC();
    private @Nullable Executor executor;

    private Builder() {}

    /** Where tokens come from. */
    public Builder source(TokenSource source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /**
     * How long before a token expires a refresh starts (default {@link #DEFAULT_REFRESH_AHEAD}); at
     * most half of a token's lifetime is used, however long this is.
     *
     * @throws IllegalArgumentException when negative
     */
    public Builder refreshAhead(Duration refreshAhead) {
      Objects.requireNonNull(refreshAhead, "refreshAhead");
      if (refreshAhead.isNegative()) {
        throw new IllegalArgumentException(
            "refreshAhead must not be negative, was " + refreshAhead);
      }
      this.refreshAhead = refreshAhead;
      return this;
    }

    /**
     * How long calls wait for a refresh, from when it started, before they fail (default {@link
     * #DEFAULT_REFRESH_TIMEOUT}).
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder refreshTimeout(Duration refreshTimeout) {
      Objects.requireNonNull(refreshTimeout, "refreshTimeout");
      if (refreshTimeout.isNegative() || refreshTimeout.isZero()) {
        throw new IllegalArgumentException(
            "refreshTimeout must be positive, was " + refreshTimeout);
      }
      this.refreshTimeout = refreshTimeout;
      return this;
    }

    /** The clock that tells when a token is due (default: the system clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Where refreshes run (default: daemon threads shared by every instance, made on demand and
     * dropped after a minute idle).
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * What the credentials are, for {@code toString()}, logs and exception messages (default: the
     * source's class name). Must not hold a secret.
     */
    public Builder description(String description) {
      Objects.requireNonNull(description, "description");
      if (description.isBlank()) {
        throw new IllegalArgumentException("description must be non-blank");
      }
      this.description = description;
      return this;
    }

    /**
     * The credentials; no token is fetched until the first call asks for one.
     *
     * @throws IllegalStateException when no source was given
     */
    public RefreshingCredentials build() {
      if (source == null) {
        throw new IllegalStateException("a token source is required");
      }
      return new RefreshingCredentials(this);
    }
  }
}
