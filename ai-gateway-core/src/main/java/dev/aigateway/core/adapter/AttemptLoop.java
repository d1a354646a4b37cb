package dev.aigateway.core.adapter;

import dev.aigateway.core.pipeline.AnswerTranslation;
import dev.aigateway.core.pipeline.AttemptPlan;
import dev.aigateway.core.pipeline.CallLog;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.routing.Failover;
import dev.aigateway.core.wire.GoogleRetryInfo;
import dev.aigateway.core.wire.HeldBody;
import dev.aigateway.core.wire.SendFailedException;
import dev.aigateway.core.wire.SseBody;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * Sends an admitted {@link GovernedCall} through a client adapter's {@link AttemptSender}, attempt
 * after attempt, until one gives the application its answer: the one place where failover, backoff,
 * the failover deadline, cancellation and a stream's first event are handled, so that every adapter
 * behaves the same. A call without a backend pool is one attempt, sent where the application sent
 * it. See {@link AttemptSender} for the protocol.
 *
 * <p>Every attempt's outcome reaches its backend's breaker, whatever happens: an answer, an {@link
 * IOException}, an unchecked exception from the client (a failed attempt, reported to the
 * application as a {@link SendFailedException} when no other attempt follows), an interrupted
 * backoff or a call the application cancelled (no verdict against the backend), a call its client's
 * own call timeout ended while the attempt waited for the backend (a timeout, a failed attempt), or
 * a stream that ends, breaks or stays silent before its first event (a failed attempt; see {@link
 * Failover}).
 *
 * <p>A call the application cancels ends {@link dev.aigateway.api.CallOutcome#CANCELLED} in
 * whichever phase the cancel finds it: waiting for a response's headers, in a backoff, or while its
 * stream is held for its first event (as after the answer was handed on). Nothing is charged for it
 * when no answer had come; a held stream is charged as one the application closed. A call cancelled
 * by the time a backend's answer arrives is never moved on to another attempt (no other backend is
 * chosen or asked for a credential, and no attempt is recorded for it): it ends with that answer,
 * which the client then withholds from the application. The next attempt after a backoff is planned
 * only once the backoff is over, so a call that ends in it asks no credential provider for that
 * attempt. A call the client ends at its own call timeout ({@link AttemptSender#timedOut}) fails
 * ({@link dev.aigateway.api.CallOutcome#FAILED}), as any timeout before the answer does, its
 * event's error type a timeout's ({@code java.io.InterruptedIOException}) whatever the cancellation
 * made the attempt fail with (OkHttp: a closed socket).
 */
public final class AttemptLoop<R> implements Function<String, String>, BooleanSupplier {

  // Logged under the call's name, where an application configures the gateway's call logging.
  private static final Logger log = CallLog.logger();

  /** The most of an error answer's body read for the wait it asks for (Google's are ~1 KiB). */
  static final int MAX_ERROR_BODY_BYTES = 64 * 1024;

  /** Azure's header of milliseconds to wait, which the routing reads before the body's wait. */
  private static final String X_MS_RETRY_AFTER_MS = "x-ms-retry-after-ms";

  /** How often a backoff looks whether the application cancelled the call meanwhile. */
  private static final long CANCEL_CHECK_NANOS = 20_000_000L;

  /** Waits out a backoff in tests; calls sleep ({@link #sleepUnlessCanceled}). */
  interface Pause {
    void pause(Duration backoff) throws InterruptedException;
  }

  /**
   * Sleeps out a backoff, waking early once the application cancelled the call: a client's cancel
   * does not interrupt the calling thread, so the sleep looks every {@link #CANCEL_CHECK_NANOS}. A
   * call cancelled in its backoff then ends without its next attempt ({@link #backOff}).
   */
  private void sleepUnlessCanceled(Duration backoff) throws InterruptedException {
    long end = System.nanoTime() + backoff.toNanos();
    long left;
    while ((left = end - System.nanoTime()) > 0 && !sender.canceled()) {
      long slice = Math.min(left, CANCEL_CHECK_NANOS);
      Thread.sleep(slice / 1_000_000, (int) (slice % 1_000_000));
    }
  }

  /**
   * What the application gets: the backend's response and the body to read in its place, or the
   * gateway's own rejection when no backend could take the call.
   *
   * @param response the response to hand on (its status and headers); null when rejected
   * @param body what the application reads instead of the response's own body (the gateway learns
   *     usage from it as it passes, and reports the call when it ends), or null when the response's
   *     own body goes to the application unchanged (the call has then been reported)
   * @param rejection the 503 to answer when no backend was available (reported already), else null
   * @param contentType the {@code Content-Type} the application gets in place of the response's, or
   *     null for the response's own; set when the answer was translated from another protocol
   *     ({@link AnswerTranslation}), whose body then has another length than the response's
   * @param <R> the client's response type
   */
  public record Answer<R>(R response, InputStream body, Rejection rejection, String contentType) {

    /** An answer in the response's own content type. */
    public Answer(R response, InputStream body, Rejection rejection) {
      this(response, body, rejection, null);
    }

    static <R> Answer<R> rejected(Rejection rejection) {
      return new Answer<>(null, null, rejection);
    }
  }

  private final GovernedCall call;
  private final AttemptSender<R> sender;

  /** A test's pause, or null to sleep. */
  private final @Nullable Pause pause;

  /**
   * Whether the call's route is a pool. The direct route never retries, holds no stream and records
   * nothing, so its calls skip asking it (and the header lookups that would cost).
   */
  private final boolean routed;

  /** The current attempt's translation back into the call's protocol, or null. */
  private AnswerTranslation translation;

  /** The current attempt's status and the backend's content type, which its translation reads. */
  private int translatedStatus;

  private String backendContentType;

  /** The current attempt's body as translated, once asked for. */
  private InputStream translatedBody;

  /**
   * The current attempt's error body as read to find the wait it asks for ({@link
   * #retryDelayInBody}), read in place of the response's own; null when it was not read.
   */
  private HeldBody peekedBody;

  /**
   * The response handed on to the application (set once, when it is delivered): the one whose
   * headers {@link #apply} reads for the body that observes it.
   */
  private R delivered;

  AttemptLoop(GovernedCall call, AttemptSender<R> sender, @Nullable Pause pause) {
    this.call = call;
    this.sender = sender;
    this.pause = pause;
    this.routed = call.routed();
  }

  /**
   * Sends the admitted call (not answered from the cache) and returns what the application gets.
   *
   * @throws IOException the failure to give the application; the call has been reported
   */
  public static <R> Answer<R> send(GovernedCall call, AttemptSender<R> sender) throws IOException {
    return new AttemptLoop<>(call, sender, null).run();
  }

  Answer<R> run() throws IOException {
    while (true) {
      Duration backoff = routed ? call.pendingBackoff() : Duration.ZERO;
      if (!backoff.isZero()) {
        backOff(backoff);
      }
      AttemptPlan plan = call.nextAttempt(sender::canceled);
      if (plan == null) {
        if (call.endedWhilePlanning()) {
          throw endedWhilePlanning();
        }
        return Answer.rejected(call.unroutable());
      }
      Answer<R> answer = attempt(plan);
      if (answer != null) {
        return answer;
      }
    }
  }

  /** One attempt: its answer for the application, or null to move on to the next attempt. */
  private Answer<R> attempt(AttemptPlan plan) throws IOException {
    translation = plan.translation();
    translatedBody = null;
    peekedBody = null;
    R response;
    try {
      response = sendOne(plan);
    } catch (IOException e) {
      return failedAttempt(e);
    } catch (VirtualMachineError e) {
      if (routed) {
        call.retryAfterFailure(new SendFailedException(plan.backendId(), e), true);
      }
      call.failed(e);
      throw e;
    }
    int status;
    try {
      status = sender.status(response);
    } catch (RuntimeException e) {
      discard(response);
      return failedAttempt(new SendFailedException(plan.backendId(), e));
    }
    call.attemptAnswered(); // a backend answered: the call's request limits keep its request
    String contentType = header(response, "Content-Type");
    if (translation != null) {
      translatedStatus = status;
      backendContentType = contentType;
      try {
        contentType = translation.contentType(status, contentType);
      } catch (RuntimeException e) {
        discard(response);
        return failedAttempt(new SendFailedException(plan.backendId(), e));
      }
    }
    Duration firstEventTimeout =
        routed
                && status >= 200
                && status <= 299
                && call.format().holdsFirstEvent(contentType, call.request().stream())
            ? call.firstEventTimeout()
            : null;
    if (firstEventTimeout == null) {
      if (routed
          && call.retryAfterResponse(
              status,
              name -> header(response, name),
              retryDelayInBody(response, status),
              sender.canceled())) {
        discard(response); // nothing of it reached the application
        return null;
      }
      return deliver(response, status, contentType, null);
    }
    HeldBody held;
    try {
      held = holdFirstEvent(response, firstEventTimeout, contentType);
    } catch (IOException e) {
      discard(response);
      return failedAttempt(e);
    }
    if (held.outcome() == HeldBody.Held.ENDED || held.outcome() == HeldBody.Held.FAILED) {
      boolean canceled = sender.canceled();
      IOException ended = held.endedEarly();
      if (call.retryAfterFailure(ended, canceled, canceled && sender.timedOut())) {
        discard(response); // nothing of it reached the application
        return null;
      }
      // The call ended while the next attempt's credential was awaited: as if cancelled by now.
      canceled |= call.endedWhilePlanning();
      if (canceled && !sender.timedOut()) {
        return canceledWhileHeld(response, status, contentType, held);
      }
      // No other attempt follows: nothing of the stream reached the application, which gets the
      // failure as the last attempt's (the client's call timeout: as a timeout before the answer).
      discard(response);
      call.failed(canceled ? timedOut(ended) : ended);
      throw ended;
    }
    int errorStatus = held.firstEventErrorStatus();
    Duration errorRetryDelay = null;
    if (errorStatus != 0 && translation != null && translation.errorEventStatus() != 0) {
      // A translated error event: judged by the backend's own event, whose status and wait the
      // call's error shape may not carry (Gemini's 503 and RetryInfo in OpenAI's error event).
      errorStatus = translation.errorEventStatus();
      errorRetryDelay = translation.errorEventRetryDelay();
    } else if (errorStatus != 0) {
      errorRetryDelay = held.firstEventRetryDelay();
    }
    boolean retry =
        errorStatus != 0
            ? call.retryAfterErrorEvent(
                errorStatus,
                name -> header(response, name),
                errorStatus == 429 || errorStatus >= 500 ? errorRetryDelay : null,
                sender.canceled())
            : call.retryAfterResponse(status, name -> header(response, name), sender.canceled());
    if (retry) {
      discard(response); // nothing of it reached the application
      return null;
    }
    return deliver(response, status, contentType, held);
  }

  /**
   * The application cancelled the call while its stream was held for its first event: nothing of
   * the stream reached it, and it gets the failure the cancellation caused, as when a call is
   * cancelled before its answer came. The call ends as a stream closed by the application does
   * (cancelled, charged for what the backend was sent), and the response is released.
   */
  private Answer<R> canceledWhileHeld(R response, int status, String contentType, HeldBody held)
      throws IOException {
    delivered = response;
    InputStream observed = call.observeResponse(status, contentType, this, held, this);
    try {
      observed.close(); // ends the call, cancelled
    } catch (IOException | RuntimeException e) {
      // the call has ended either way
    }
    discard(response);
    throw held.endedEarly();
  }

  /**
   * The wait a 429 or 503 answer without a retry-after header asks for in its JSON body (a Google
   * error's {@code google.rpc.RetryInfo}, as Gemini and Vertex AI send it), or null. The body is
   * read up to {@link #MAX_ERROR_BODY_BYTES} and held: the application (or the translation) reads
   * it as it came, its failure included.
   */
  private @Nullable Duration retryDelayInBody(R response, int status) {
    if ((status != 429 && status != 503)
        || header(response, Rejection.RETRY_AFTER) != null
        || header(response, Rejection.RETRY_AFTER_MS) != null
        || header(response, X_MS_RETRY_AFTER_MS) != null) {
      return null;
    }
    String contentType = header(response, "Content-Type");
    if (contentType == null || !contentType.toLowerCase(Locale.ROOT).contains("json")) {
      return null;
    }
    InputStream raw;
    try {
      raw = sender.body(response);
    } catch (IOException | RuntimeException e) {
      return null; // the body is asked for again when it is delivered, and fails there
    }
    if (raw == null) {
      return null;
    }
    HeldBody whole = HeldBody.holdWhole(raw, MAX_ERROR_BODY_BYTES);
    peekedBody = whole;
    byte[] bytes = whole.whole();
    return bytes == null ? null : GoogleRetryInfo.retryDelay(bytes, whole.heldLength());
  }

  /** Sends an attempt; an unchecked exception or a null response is a failed attempt. */
  private R sendOne(AttemptPlan plan) throws IOException {
    R response;
    try {
      response = sender.send(plan);
    } catch (IOException | VirtualMachineError e) {
      throw e;
    } catch (RuntimeException | Error e) {
      log.warn(
          "ai-gateway: sending a call to backend {} failed with {}; a failed attempt",
          plan.backendId(),
          e.getClass().getName());
      throw new SendFailedException(plan.backendId(), e);
    }
    if (response == null) {
      throw new SendFailedException(
          plan.backendId(),
          new IllegalStateException(sender + " sent the attempt but returned no response"));
    }
    return response;
  }

  /**
   * Holds a stream until its first event (or its end, failure, or the bound on held bytes), its
   * reads bounded by {@code timeout} unless zero.
   */
  private HeldBody holdFirstEvent(R response, Duration timeout, String contentType)
      throws IOException {
    InputStream body = body(response);
    boolean bounded = !timeout.isZero() && readDeadline(response, timeout);
    HeldBody held = call.format().holdFirstEvent(body, SseBody.MAX_EVENT_BYTES, contentType);
    if (bounded && held.outcome() != HeldBody.Held.FAILED) {
      readDeadline(response, null);
    }
    return held;
  }

  /** Hands the response on, its body observed by the call (which reports the call at its end). */
  private Answer<R> deliver(R response, int status, String contentType, InputStream held)
      throws IOException {
    InputStream upstream;
    try {
      upstream = held != null ? held : body(response);
    } catch (IOException e) {
      discard(response);
      call.failed(reported(e));
      throw e;
    }
    delivered = response;
    if (translation != null) {
      call.translatedBy(translation);
    }
    boolean bodyRead = held != null || peekedBody != null;
    if (status == 400 && held == null && json(contentType) && call.format().tellsPromptFiltered()) {
      // A refusal by the provider's content filter is told by its small JSON body: read (up to
      // the bound) and handed on as it came, its failure included.
      HeldBody whole = holdWhole(upstream);
      upstream = whole;
      bodyRead = true;
      byte[] bytes = whole.whole();
      if (bytes != null && promptFiltered(bytes, whole.heldLength())) {
        call.promptFiltered();
      }
    }
    InputStream observed = call.observeResponse(status, contentType, this, upstream, this);
    if (translation != null) {
      return new Answer<>(response, observed, null, contentType);
    }
    return new Answer<>(response, observed == upstream && !bodyRead ? null : observed, null);
  }

  /** Reads an error answer's body whole, up to {@link #MAX_ERROR_BODY_BYTES}, to read it again. */
  private static HeldBody holdWhole(InputStream body) {
    return HeldBody.holdWhole(body, MAX_ERROR_BODY_BYTES);
  }

  /** Whether the call's format reads an error body as a content filter's refusal; never throws. */
  private boolean promptFiltered(byte[] body, int length) {
    try {
      return call.format().promptFiltered(body, length);
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static boolean json(String contentType) {
    return contentType != null && contentType.toLowerCase(Locale.ROOT).contains("json");
  }

  /**
   * The delivered response's header {@code name}, for the body that observes it: the loop itself
   * serves as the body's view of the headers (no object per call). Reached only through the body
   * the loop hands on; a loop is never given out.
   */
  @Override
  public String apply(String name) {
    return header(delivered, name);
  }

  /**
   * Whether the application cancelled the call, for the body that observes the delivered response:
   * the loop itself serves as the body's check (no object per call).
   */
  @Override
  public boolean getAsBoolean() {
    return sender.canceled();
  }

  /**
   * Waits out the backoff before the next attempt, which is planned (its backend's credential
   * obtained) only after it. A call cancelled, timed out or interrupted meanwhile ends here: the
   * backend chosen for the next attempt is released without a verdict, nothing is sent, and the
   * application gets the failure its client gives a cancelled call ({@code IOException: Canceled}),
   * a timeout ({@code InterruptedIOException: timeout}) or the interruption.
   */
  private void backOff(Duration backoff) throws IOException {
    IOException failure;
    try {
      waitOut(backoff);
      if (!sender.canceled()) {
        return;
      }
      if (!sender.timedOut()) {
        call.abandonPendingAttempt();
        call.canceled(); // the application's cancel: the call ends cancelled, not failed
        throw new IOException("Canceled");
      }
      failure = new InterruptedIOException("timeout");
    } catch (InterruptedIOException e) {
      failure = e; // interrupted in the backoff: not the backend's doing
    }
    call.abandonPendingAttempt();
    call.failed(failure);
    throw failure;
  }

  /**
   * Ends a call that the application cancelled, or whose client's call timeout passed, while its
   * attempt waited for a backend's credential (a token being fetched): nothing was sent, and the
   * application gets the failure its client gives a cancelled call ({@code IOException: Canceled})
   * or a timeout ({@code InterruptedIOException: timeout}).
   */
  private IOException endedWhilePlanning() {
    if (!sender.timedOut()) {
      call.canceled(); // the application's cancel: the call ends cancelled, not failed
      return new IOException("Canceled");
    }
    IOException failure = new InterruptedIOException("timeout");
    call.failed(failure);
    return failure;
  }

  /**
   * The current attempt failed; moves on (null) or fails the call with {@code failure}. A call that
   * ended (cancelled, or at its client's call timeout) while the next attempt was being planned
   * (its backend's credential awaited) ends as one that ended before the failure came.
   */
  private Answer<R> failedAttempt(IOException failure) throws IOException {
    boolean canceled = sender.canceled();
    // The client's call timeout (asked only of a cancelled call: asking ends the timeout's watch)
    // ended the attempt waiting for its backend: a timeout for the backend's breaker.
    if (routed && call.retryAfterFailure(failure, canceled, canceled && sender.timedOut())) {
      return null;
    }
    canceled |= routed && call.endedWhilePlanning();
    if (canceled && !sender.timedOut()) {
      call.canceled(); // the application's cancel: the call ends cancelled, not failed
    } else {
      call.failed(canceled ? timedOut(reported(failure)) : reported(failure));
    }
    throw failure;
  }

  private void waitOut(Duration backoff) throws InterruptedIOException {
    if (backoff.isZero()) {
      return;
    }
    try {
      if (pause == null) {
        sleepUnlessCanceled(backoff);
      } else {
        pause.pause(backoff);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException interrupted = new InterruptedIOException("interrupted during backoff");
      interrupted.initCause(e);
      throw interrupted;
    }
  }

  /** The response's body, translated when the attempt went to a backend of another protocol. */
  private InputStream body(R response) throws IOException {
    if (translatedBody != null) {
      return translatedBody;
    }
    InputStream body;
    try {
      body = peekedBody != null ? peekedBody : sender.body(response);
      if (translation != null) {
        translatedBody =
            translation.body(
                translatedStatus, backendContentType, name -> header(response, name), body);
        return translatedBody;
      }
    } catch (RuntimeException e) {
      throw new SendFailedException(null, e);
    }
    return body;
  }

  /** A header of the response, null when the sender fails to tell. */
  private String header(R response, String name) {
    try {
      return sender.header(response, name);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Bounds reads of the response's body; false when the sender failed to. */
  private boolean readDeadline(R response, Duration timeout) {
    try {
      sender.readDeadline(response, timeout);
      return true;
    } catch (RuntimeException e) {
      log.warn(
          "ai-gateway: {} failed to bound reads of a response: {}", sender, e.getClass().getName());
      return false;
    }
  }

  private void discard(R response) {
    try {
      sender.discard(response);
    } catch (RuntimeException e) {
      log.warn("ai-gateway: {} failed to discard a response: {}", sender, e.getClass().getName());
    }
  }

  /**
   * What the failure of a call its client's own timeout ended is reported as: a timeout, as the
   * client fails the call ({@code InterruptedIOException: timeout}), caused by what the
   * cancellation made the attempt fail with (OkHttp: a {@code SocketException}, the socket closed
   * under the read); a failure that already is an {@link InterruptedIOException} as itself.
   */
  private static Throwable timedOut(Throwable failure) {
    if (failure instanceof InterruptedIOException) {
      return failure;
    }
    InterruptedIOException timeout = new InterruptedIOException("timeout");
    timeout.initCause(failure);
    return timeout;
  }

  /** What a failure is reported as: a client's unchecked exception as itself. */
  private static Throwable reported(IOException failure) {
    return failure instanceof SendFailedException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }
}
