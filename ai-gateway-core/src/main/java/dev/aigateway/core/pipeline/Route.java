package dev.aigateway.core.pipeline;

import java.io.IOException;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Where one call's attempts go. Every call has one: a call without a backend pool takes the
 * {@linkplain #direct direct route} (one attempt, to where the application sent it); with a pool
 * the routing stage puts the call's {@code CallRouting} in its place (backends, failover,
 * breakers). The attempt loop and the orchestrator talk to this interface only.
 *
 * <p>Not thread-safe: a call's attempts are made one after another.
 */
public interface Route {

  /** Whether attempts can move between backends (a pool); false for the direct route. */
  boolean pooled();

  /** The model the call is for: the traffic split's variant, else the model asked for. */
  String routedModel();

  /**
   * Where to send the call now, or null when nothing can take it (then {@link #unroutable()} is the
   * answer).
   */
  AttemptPlan next();

  /**
   * How long the call waits before the attempt {@link #next()} plans now: the backoff before
   * retrying a backend already tried, zero otherwise. The attempt loop waits it out before asking
   * {@link #next()}, so that a backend's credential is obtained only for an attempt that is sent,
   * never for one the call is cancelled or times out before. Zero by default.
   */
  default Duration pendingBackoff() {
    return Duration.ZERO;
  }

  /**
   * The call ends in the backoff before its next attempt ({@link #pendingBackoff()}): cancelled,
   * timed out or interrupted. The backend chosen for that attempt is released without a verdict and
   * no attempt is recorded for it. Nothing by default.
   */
  default void abandonPending() {}

  /**
   * How to tell that the call has ended (the application cancelled it, or its client's call timeout
   * passed) while an attempt is planned: a backend's credential provider waiting for a token stops
   * waiting then ({@link
   * dev.aigateway.api.spi.CredentialProvider#credentialForCall(BooleanSupplier)}). Set before
   * {@link #next()}; nothing by default.
   */
  default void endedWhen(BooleanSupplier ended) {}

  /**
   * Whether {@link #next()} found nothing because the call ended while it waited for a backend's
   * credential ({@link #endedWhen}): no attempt was recorded, and the call ends cancelled or timed
   * out rather than failed or rejected. False by default.
   */
  default boolean endedWhilePlanning() {
    return false;
  }

  /** The 503 answer when {@link #next()} found nothing; only a pool can find nothing. */
  Rejection unroutable();

  /**
   * Why {@link #next()} found nothing although a backend was available: the failure to obtain a
   * backend's credential (the call then fails with it instead of answering {@link #unroutable()});
   * null when no backend was available.
   */
  default IOException unsentFailure() {
    return null;
  }

  /**
   * Records the current attempt's answer and returns true when the call moves on to {@link
   * #next()}; a call the application cancelled (or its client's call timeout ended) never does, so
   * no other backend is chosen, asked for a credential or counted as an attempt for it.
   */
  boolean retryAfterResponse(int status, Function<String, String> headers, boolean callCanceled);

  /**
   * As {@link #retryAfterResponse(int, Function, boolean)}, with the wait the answer's body asked
   * for ({@code bodyRetryAfter}: a Google error's {@code google.rpc.RetryInfo}, read by the caller
   * when the answer carries no retry-after header), which then counts as its retry-after. By
   * default the body's wait is not used.
   */
  default boolean retryAfterResponse(
      int status,
      Function<String, String> headers,
      @Nullable Duration bodyRetryAfter,
      boolean callCanceled) {
    return retryAfterResponse(status, headers, callCanceled);
  }

  /**
   * Records that the current attempt's stream, held for its first event, sent an error event
   * instead (an answer of 200 that failed, standing for {@code status}: see {@link
   * dev.aigateway.core.wire.HeldBody#firstEventErrorStatus}), and returns true when the call moves
   * on to {@link #next()}, as after an answer of {@code status}. By default as such an answer.
   */
  default boolean retryAfterErrorEvent(
      int status, Function<String, String> headers, boolean callCanceled) {
    return retryAfterResponse(status, headers, callCanceled);
  }

  /**
   * As {@link #retryAfterErrorEvent(int, Function, boolean)}, with the wait the error event asked
   * for ({@code eventRetryAfter}: a Google error's {@code google.rpc.RetryInfo}, as a Gemini or
   * Vertex AI stream that fails before its first chunk sends it), which then counts as the
   * attempt's retry-after, as {@link #retryAfterResponse(int, Function, Duration, boolean)} counts
   * an answer body's. By default the event's wait is not used.
   */
  default boolean retryAfterErrorEvent(
      int status,
      Function<String, String> headers,
      @Nullable Duration eventRetryAfter,
      boolean callCanceled) {
    return retryAfterErrorEvent(status, headers, callCanceled);
  }

  /**
   * Records that the current attempt failed without an answer and returns true when the call moves
   * on to {@link #next()}.
   */
  boolean retryAfterFailure(IOException failure, boolean callCanceled);

  /**
   * As {@link #retryAfterFailure(IOException, boolean)}, for a call that may have been ended by its
   * client's own call timeout ({@code callTimedOut}, which implies {@code callCanceled}): the
   * attempt then waited for the backend until the call's time ran out, a timeout that counts
   * against the backend as a read timeout does, though the call never moves on. By default the
   * timeout is not told apart from a cancel.
   */
  default boolean retryAfterFailure(
      IOException failure, boolean callCanceled, boolean callTimedOut) {
    return retryAfterFailure(failure, callCanceled);
  }

  /** The answer's first bytes came at {@code nanos} ({@link System#nanoTime()}). */
  void firstBytes(long nanos, boolean stream);

  /**
   * Whether every attempt of the call may carry {@code stream_options} (the gateway asks a stream
   * for its usage with it): false when one could go to an Azure OpenAI API version that refuses it.
   */
  default boolean acceptsStreamOptions() {
    return true;
  }

  /** How long to hold the current attempt's stream for its first event; null: not at all. */
  Duration firstEventTimeout();

  /** The delivered stream's first event arrived (on the thread reading it). Nothing by default. */
  default void firstEvent() {}

  /**
   * The delivered 2xx answer's body reported an error standing for {@code status}, and then ended
   * complete or broke off (see {@link dev.aigateway.core.wire.ResponseReadout#errorAnswerStatus}):
   * a verdict its backend's breaker heard before the body was read is corrected. Nothing by
   * default.
   */
  default void errorAnswered(int status) {}

  /**
   * The delivered 2xx answer's body, a document (not an event stream), failed to arrive whole: its
   * read from the backend failed (the connection broke, or a read timed out), so the application
   * got no answer. A success its backend's breaker heard when the status arrived is corrected to a
   * failure, as for a connection failure. Nothing by default.
   */
  default void answerBroke() {}

  /** The call ended; a complete JSON answer's latency may be recorded. */
  void callEnded(boolean successfulJson);

  /**
   * The route of a call that goes where the application sent it: one attempt, never retried, its
   * body the application's (or, when the gateway asks a stream for its usage, the rewrite).
   */
  static Route direct(Exchange exchange) {
    return new DirectRoute(exchange);
  }
}
