package dev.aigateway.core.adapter;

import dev.aigateway.core.pipeline.AttemptPlan;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * What an HTTP client adapter does for the gateway's attempt loop: send one attempt, and tell about
 * the response. The loop itself (failover, backoff, deadline, breakers, holding a stream until its
 * first event, cancellation, reporting) is the core's, in {@link AttemptLoop}; an adapter only
 * turns its client's requests and responses into these calls and back.
 *
 * <p><b>The protocol.</b> For one governed call, after {@link GovernedCall#admit()} admitted it and
 * found no cached answer, the adapter calls {@link AttemptLoop#send} once, on the calling thread,
 * with a sender for that call. The loop then calls, on that same thread:
 *
 * <ol>
 *   <li>{@link #send} once per attempt, with the attempt's {@link AttemptPlan}: the backend's URL
 *       (or null: the application's own), headers to remove and set, the body (or null: the
 *       application's bytes, which the adapter read before {@code begin}) and no backoff (the loop
 *       has waited it already). It returns once the response's status and headers arrived; a
 *       failure to get them is an {@link IOException}. An unchecked exception, or a null response,
 *       counts as a failed attempt too (see {@link dev.aigateway.core.wire.SendFailedException}).
 *   <li>{@link #status} and {@link #header} on that response, any number of times.
 *   <li>{@link #body} at most once per response: the body's bytes as they arrive. {@link
 *       #readDeadline} may bound reads of it for a while (a stream's first event).
 *   <li>{@link #discard} for a response the loop will not hand on (the call moves to another
 *       attempt): nothing of it reached the application; the adapter releases it.
 *   <li>{@link #canceled} whenever a failure needs telling apart from the application's own
 *       cancellation, which is never retried, and every few milliseconds during a backoff, which
 *       ends early once the call is cancelled (the next {@link #send} then fails as the client
 *       fails a cancelled call); then {@link #timedOut}, whether the cancellation was the client's
 *       own call timeout. A call the application cancelled before an answer was handed on ends
 *       {@link dev.aigateway.api.CallOutcome#CANCELLED}, whatever it was waiting for.
 * </ol>
 *
 * The loop returns an {@link AttemptLoop.Answer}: the response to hand to the application, and the
 * body the application should read in place of the response's own (the gateway's observing stream),
 * or the gateway's own rejection when no backend could take the call. It throws the {@link
 * IOException} to give the application when the call failed; it never throws anything else but a
 * {@link VirtualMachineError}. By then the call has been reported (one {@link
 * dev.aigateway.api.GatewayEvent}), or will be when the returned body ends.
 *
 * <p>Methods other than {@link #send} and {@link #body} must not block; none may throw for a
 * response it was given (an exception from them is a bug in the adapter, reported as a failed
 * attempt). An instance serves one call; it need not be thread-safe.
 *
 * @param <R> the client's response type
 */
public interface AttemptSender<R> {

  /**
   * Sends one attempt and waits for the response's status and headers.
   *
   * @throws IOException when no response came (connect failure, timeout, cancellation)
   */
  R send(AttemptPlan plan) throws IOException;

  /** The response's HTTP status code. */
  int status(R response);

  /** The first value of a response header (case-insensitive name), or null when absent. */
  String header(R response, String name);

  /** The response's body, as its bytes arrive from the backend. */
  InputStream body(R response) throws IOException;

  /**
   * Bounds reads of the response's body: once {@code timeout} has passed from now, a read that is
   * blocked or starts later fails with an {@link java.io.InterruptedIOException} (the response is
   * then of no further use). Null lifts the bound. An adapter whose client cannot bound reads may
   * ignore this; a stream's first event is then bounded only by the client's own read timeout.
   */
  void readDeadline(R response, Duration timeout);

  /** Releases a response none of which reached the application. Must not throw. */
  void discard(R response);

  /**
   * Whether the call was cancelled: by the application, or by the client at its own bound on the
   * whole call when it implements that bound by cancelling (OkHttp's {@code callTimeout}; {@link
   * #timedOut} tells the two apart). A cancelled call is never retried; its attempt gives its
   * backend no verdict when the application cancelled it, and counts as a timeout against the
   * backend when the client's call timeout ended it waiting for that backend.
   */
  boolean canceled();

  /**
   * Whether the cancellation {@link #canceled} reports was the client's own timeout for the whole
   * call rather than the application's cancel: the call then fails as a timed-out call does ({@link
   * dev.aigateway.api.CallOutcome#FAILED}) instead of ending {@link
   * dev.aigateway.api.CallOutcome#CANCELLED}. Asked only once {@link #canceled} is true, before the
   * loop hands an answer on. The default, for a client whose timeouts are failures of their own and
   * never cancellations: false.
   */
  default boolean timedOut() {
    return false;
  }
}
