package dev.aigateway.core.pipeline;

import dev.aigateway.api.AccessCheck;
import dev.aigateway.api.GatewayRejectedException;
import dev.aigateway.api.RejectedResponse;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.TokenLimitExceededException;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.core.wire.LocalError;
import dev.aigateway.core.wire.WireFormat;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Builds the gateway's own answers: the status, headers, message and exception of each refusal,
 * written in the error shape of the call's {@link WireFormat} (OpenAI's for the OpenAI formats).
 */
public final class Rejections {

  /**
   * The wait a call refused by an in-flight cap (a counter key's or every backend's), or while the
   * half-open probe of the only backend it could go to is in flight, is told: 1 s, the shortest
   * {@code Retry-After} can say, since a slot frees whenever a call ends.
   */
  public static final Duration IN_FLIGHT_RETRY_AFTER = Duration.ofSeconds(1);

  private Rejections() {}

  /**
   * 429 for a rate limit or in-flight cap, 403 for a spent quota; says which limit, for whom, and
   * how long.
   */
  public static Rejection tokenLimit(
      WireFormat format,
      LimitCharge charge,
      String limitName,
      long left,
      Duration wait,
      Map<String, String> limitHeaders) {
    return tokenLimit(
        format,
        charge,
        limitName,
        left,
        wait,
        limitHeaders,
        false,
        RejectionReason.TOKEN_QUOTA.status());
  }

  /**
   * A 429 (rate, in-flight cap) or 403 (quota) for a limit that cannot admit the charge; the reason
   * follows the limit's kind and unit: {@link RejectionReason#TOKEN_RATE_LIMIT}, {@link
   * RejectionReason#TOKEN_QUOTA}, {@link RejectionReason#REQUEST_RATE_LIMIT}, {@link
   * RejectionReason#REQUEST_QUOTA} or {@link RejectionReason#IN_FLIGHT_LIMIT}.
   *
   * @param wait the store's wait until the charge fits (an in-flight cap's is replaced by {@link
   *     #IN_FLIGHT_RETRY_AFTER})
   * @param fallback whether the gateway's local fallback rejected it, on its share of the limit
   *     ({@code charge} names that share) while the token store is unavailable
   * @param quotaStatus the status a spent quota is answered with: 403, or 429 as OpenAI answers
   *     {@code insufficient_quota}
   */
  public static Rejection tokenLimit(
      WireFormat format,
      LimitCharge charge,
      String limitName,
      long left,
      Duration wait,
      Map<String, String> limitHeaders,
      boolean fallback,
      int quotaStatus) {
    LimitSpec spec = charge.limit();
    boolean quota = spec.kind() == LimitSpec.Kind.QUOTA;
    if (spec.kind() == LimitSpec.Kind.IN_FLIGHT) {
      wait = IN_FLIGHT_RETRY_AFTER;
    }
    long waitSeconds = seconds(wait);
    // A charge above the limit's whole capacity fails however long the client waits; above the
    // fallback's share it may fit again once the store is back.
    boolean neverFits = !fallback && charge.required() > spec.capacity();
    RejectionReason reason = reason(spec);
    String neverFitsAdvice =
        neverFits
            ? " The call needs more than the limit's whole capacity, so it can never fit: lower"
                + " max_tokens or the prompt; retrying will not help."
            : "";
    String message =
        switch (reason) {
          case TOKEN_QUOTA ->
              String.format(
                  Locale.ROOT,
                  "Token quota '%s' (%d tokens %s) is spent for '%s': %d "
                      + "tokens needed, %d left.%s It resets in %d s.",
                  limitName,
                  spec.capacity(),
                  spec.quotaPeriod().name().toLowerCase(Locale.ROOT),
                  charge.counterKey(),
                  charge.required(),
                  Math.max(0, left),
                  neverFitsAdvice,
                  waitSeconds);
          case REQUEST_QUOTA ->
              String.format(
                  Locale.ROOT,
                  "Request quota '%s' (%d requests %s) is spent for '%s'. It resets in %d s.",
                  limitName,
                  spec.capacity(),
                  spec.quotaPeriod().name().toLowerCase(Locale.ROOT),
                  charge.counterKey(),
                  waitSeconds);
          case REQUEST_RATE_LIMIT ->
              String.format(
                  Locale.ROOT,
                  "Request rate limit '%s' (%d requests per %s) exceeded for '%s'. Retry after %d"
                      + " s.",
                  limitName,
                  spec.capacity(),
                  spec.refillPeriod(),
                  charge.counterKey(),
                  waitSeconds);
          case IN_FLIGHT_LIMIT ->
              String.format(
                  Locale.ROOT,
                  "In-flight limit '%s' (%d calls at once) reached for '%s'. Retry after %d s, or"
                      + " when one of its calls has ended.",
                  limitName,
                  spec.capacity(),
                  charge.counterKey(),
                  waitSeconds);
          default ->
              String.format(
                  Locale.ROOT,
                  "Token rate limit '%s' (%d tokens per %s) exceeded for "
                      + "'%s': %d tokens needed, %d left.%s%s",
                  limitName,
                  spec.capacity(),
                  spec.refillPeriod(),
                  charge.counterKey(),
                  charge.required(),
                  Math.max(0, left),
                  neverFitsAdvice,
                  neverFits ? "" : " Retry after " + waitSeconds + " s.");
        };
    if (fallback) {
      message +=
          " (The token store is unavailable: this is this gateway's local share of the limit.)";
    }
    int status = quota ? quotaStatus : reason.status();
    TokenLimitExceededException exception =
        new TokenLimitExceededException(
            message, reason, status, wait, limitName, charge.counterKey(), charge.required(), left);
    Map<String, String> headers = limitHeaders;
    if (neverFits) {
      headers = new LinkedHashMap<>(limitHeaders);
      headers.put(Rejection.SHOULD_RETRY, "false");
    }
    return build(
        format, new LocalError(reason, message, null, null), status, wait, headers, exception);
  }

  /** The reason a limit of this kind and unit refuses a call with. */
  private static RejectionReason reason(LimitSpec spec) {
    boolean requests = spec.unit() == LimitSpec.Unit.REQUESTS;
    return switch (spec.kind()) {
      case RATE -> requests ? RejectionReason.REQUEST_RATE_LIMIT : RejectionReason.TOKEN_RATE_LIMIT;
      case QUOTA -> requests ? RejectionReason.REQUEST_QUOTA : RejectionReason.TOKEN_QUOTA;
      case IN_FLIGHT -> RejectionReason.IN_FLIGHT_LIMIT;
    };
  }

  /** 404 for a model no backend of the pool serves. */
  public static Rejection modelNotFound(WireFormat format, String model) {
    String message =
        model == null
            ? "The request names no model, and no backend of this gateway serves calls without one."
            : "The model '" + model + "' is not served by any backend of this gateway.";
    return refuse(
        format, new LocalError(RejectionReason.MODEL_NOT_FOUND, message, "model", null), null);
  }

  /**
   * A request the gateway cannot govern: 400, as the provider answers a request it refuses; {@code
   * param} names the field, {@code code} says what is wrong with it.
   */
  public static Rejection invalidRequest(
      WireFormat format, String message, String param, String code) {
    return refuse(
        format, new LocalError(RejectionReason.INVALID_REQUEST, message, param, code), null);
  }

  /**
   * 503 when every backend serving the model is unavailable; says when one will be. A {@code
   * soonest} not after now (the trip of the soonest backend is over, and its half-open probe is in
   * flight) says nothing of when: the backend takes calls again once the probe's verdict comes, so
   * the call is told {@link #IN_FLIGHT_RETRY_AFTER}, as for a backend at its in-flight cap, rather
   * than to come back at once and be refused again while the probe lasts.
   */
  public static Rejection noBackend(WireFormat format, String model, Instant soonest, Clock clock) {
    Duration wait = Duration.between(clock.instant(), soonest);
    if (wait.isNegative() || wait.isZero()) {
      wait = IN_FLIGHT_RETRY_AFTER;
    }
    String message =
        "Every backend serving '"
            + model
            + "' is unavailable (circuit open or "
            + "cooling down after 429). Retry after "
            + seconds(wait)
            + " s.";
    return refuse(
        format, new LocalError(RejectionReason.NO_BACKEND_AVAILABLE, message, null, null), wait);
  }

  /**
   * 503 when every backend serving the model that is otherwise available is at its in-flight cap
   * ({@code Backend.Builder.maxInFlight}): the pool sheds the call, as an overloaded proxy does,
   * and says to retry after {@link #IN_FLIGHT_RETRY_AFTER}, since a slot frees whenever an attempt
   * ends.
   */
  public static Rejection backendsAtCapacity(WireFormat format, String model) {
    Duration wait = IN_FLIGHT_RETRY_AFTER;
    String message =
        "Every available backend serving '"
            + model
            + "' has as many calls in flight as its cap allows. Retry after "
            + seconds(wait)
            + " s.";
    return refuse(
        format, new LocalError(RejectionReason.NO_BACKEND_AVAILABLE, message, null, null), wait);
  }

  /**
   * The token store cannot count the call and the gateway fails closed: 503, {@code server_error},
   * code {@code token_store_unavailable}, with {@code Retry-After}.
   */
  public static Rejection tokenStoreUnavailable(WireFormat format, Duration retryAfter) {
    String message =
        "The token limit store is unavailable, and this gateway does not send calls it cannot"
            + " count against their limits. Retry after "
            + seconds(retryAfter)
            + " s.";
    return refuse(
        format,
        new LocalError(
            RejectionReason.TOKEN_STORE_UNAVAILABLE, message, null, "token_store_unavailable"),
        retryAfter);
  }

  /**
   * 429 for a consumer that anomaly detection throttles and that is beyond its lowered rate; says
   * why and how long to wait.
   *
   * @param allowedPerMinute the calls per minute the consumer keeps while throttled
   * @param why the finding, for people
   */
  public static Rejection consumerThrottled(
      WireFormat format, String consumer, double allowedPerMinute, Duration wait, String why) {
    String message =
        String.format(
            Locale.ROOT,
            "Consumer '%s' is throttled to %.1f calls per minute because its usage is far above"
                + " its usual level (%s). Retry after %d s.",
            consumer,
            allowedPerMinute,
            why,
            seconds(wait));
    return refuse(
        format, new LocalError(RejectionReason.CONSUMER_THROTTLED, message, null, null), wait);
  }

  /**
   * 403 for a blocked consumer, with {@code Retry-After} set to when the block is due to end.
   *
   * @param why the finding of an automatic block, for people; null for an operator's block, whose
   *     reason is not told to the consumer
   */
  public static Rejection consumerBlocked(
      WireFormat format, String consumer, Instant until, Duration wait, String why) {
    String message =
        "Consumer '"
            + consumer
            + "' is blocked until "
            + until.truncatedTo(ChronoUnit.SECONDS)
            + (why == null
                ? " by the gateway's operator."
                : " because its usage is far above its usual level (" + why + ").")
            + " Retry after "
            + seconds(wait)
            + " s.";
    return refuse(
        format, new LocalError(RejectionReason.CONSUMER_BLOCKED, message, null, null), wait);
  }

  /**
   * A prompt a content safety check refused: 400, {@code invalid_request_error}, code {@code
   * content_filter}, with the check and category in the message and the category's finding where
   * Azure OpenAI reports its own content filter's ({@code innererror.content_filter_result}). Never
   * the text that matched.
   *
   * @param check the check that refused it, for example {@code deny-words}
   * @param category what it found, for example {@code EMAIL} or {@code Hate}
   * @param finding the category's details, for example {@code {"filtered":true,"severity":"high"}}
   */
  public static Rejection contentBlocked(
      WireFormat format, String check, String category, Map<String, Object> finding) {
    String message =
        "The prompt was blocked by this gateway's content safety policy: check '"
            + check
            + "' found '"
            + category
            + "'. Change the prompt; retrying it unchanged will not help.";
    return refuseForGood(
        format,
        new LocalError(
            RejectionReason.CONTENT_BLOCKED,
            message,
            "prompt",
            "content_filter",
            Map.of(category, finding)));
  }

  /**
   * The error event that ends a streamed answer a content safety check blocked mid-way (code {@code
   * content_filter}, param {@code answer}), in the format's stream shape ({@link
   * WireFormat#streamErrorEvent}).
   */
  public static byte[] answerBlockedEvent(WireFormat format, String check, String category) {
    String message =
        "The answer was stopped by this gateway's content safety policy: check '"
            + check
            + "' found '"
            + category
            + "' in it.";
    return format.streamErrorEvent(
        new LocalError(
            RejectionReason.CONTENT_BLOCKED,
            message,
            "answer",
            "content_filter",
            Map.of(category, Map.of("filtered", true))));
  }

  /**
   * An external content check failed or timed out and the gateway fails closed: 503, {@code
   * server_error}, code {@code content_check_unavailable}.
   */
  public static Rejection contentCheckUnavailable(WireFormat format, String check, String cause) {
    String message =
        "The content safety check '"
            + check
            + "' could not check the prompt ("
            + cause
            + "), and this gateway does not send prompts it could not check. Retry later.";
    return refuse(
        format,
        new LocalError(
            RejectionReason.CONTENT_CHECK_UNAVAILABLE, message, null, "content_check_unavailable"),
        null);
  }

  /**
   * 403 {@code access_denied}: the caller's access rules do not allow the call; the message names
   * the rule and what it refused, and {@code param} the request field at fault (if any).
   *
   * @param rule the rule that came closest to allowing the call, or {@code default}
   * @param check which check failed
   * @param detail what the check found, in words (for example {@code "model 'gpt-4' matches none of
   *     [gpt-4o-mini*]"}); never a credential
   */
  public static Rejection accessDenied(
      WireFormat format, String consumer, String rule, AccessCheck check, String detail) {
    String message =
        "Access denied for '"
            + consumer
            + "' by access rule '"
            + rule
            + "' ("
            + check.label()
            + "): "
            + detail
            + ". Retrying will not help; ask for the rule to be changed.";
    return refuseForGood(
        format, new LocalError(RejectionReason.ACCESS_DENIED, message, check.param(), null));
  }

  /**
   * 401 {@code invalid_token}: the call's credential was refused. The message says why, never what
   * the credential was.
   */
  public static Rejection invalidToken(WireFormat format, String refusal) {
    String message = "Invalid credential: " + refusal + ".";
    return refuseForGood(
        format, new LocalError(RejectionReason.INVALID_TOKEN, message, null, null));
  }

  /** A refusal with {@code Retry-After} set to {@code retryAfter} (none where null). */
  private static Rejection refuse(WireFormat format, LocalError error, Duration retryAfter) {
    return build(
        format,
        error,
        retryAfter,
        Map.of(),
        new GatewayRejectedException(error.message(), error.reason(), retryAfter));
  }

  /**
   * A refusal that retrying unchanged cannot turn: {@code x-should-retry: false}, so SDKs that
   * honour it give up at once.
   */
  private static Rejection refuseForGood(WireFormat format, LocalError error) {
    return build(
        format,
        error,
        null,
        Map.of(Rejection.SHOULD_RETRY, "false"),
        new GatewayRejectedException(error.message(), error.reason(), null));
  }

  private static Rejection build(
      WireFormat format,
      LocalError error,
      Duration retryAfter,
      Map<String, String> extraHeaders,
      GatewayRejectedException exception) {
    return build(format, error, error.reason().status(), retryAfter, extraHeaders, exception);
  }

  private static Rejection build(
      WireFormat format,
      LocalError error,
      int status,
      Duration retryAfter,
      Map<String, String> extraHeaders,
      GatewayRejectedException exception) {
    Map<String, String> headers = new LinkedHashMap<>(extraHeaders);
    headers.putAll(format.errorHeaders(error));
    RejectionReason reason = error.reason();
    headers.put(Rejection.REJECTED_HEADER, reason.headerValue());
    if (retryAfter != null) {
      headers.put(Rejection.RETRY_AFTER, String.valueOf(seconds(retryAfter)));
      headers.put(Rejection.RETRY_AFTER_MS, String.valueOf(millis(retryAfter)));
    }
    byte[] body = format.errorBody(error);
    String contentType = format.errorContentType();
    exception.initResponse(new RejectedResponse(status, headers, body, contentType));
    return new Rejection(reason, status, headers, body, contentType, exception);
  }

  /**
   * The wait in seconds, rounded up, at least 1: what {@code Retry-After} carries. Any part of a
   * second rounds up (also one under a millisecond): a client that waits what it is told is never
   * back before the call fits. A wait beyond what a long holds in milliseconds (a store's "never")
   * is its seconds, up to {@link Long#MAX_VALUE}, instead of an {@link ArithmeticException}.
   */
  private static long seconds(Duration wait) {
    if (wait.isNegative()) {
      return 1;
    }
    long seconds = wait.getSeconds();
    boolean part = wait.getNano() > 0;
    return Math.max(1, part && seconds < Long.MAX_VALUE ? seconds + 1 : seconds);
  }

  /**
   * The wait in milliseconds, rounded up (a part of a millisecond is one more), at least 1,
   * saturated at {@link Long#MAX_VALUE}: what {@code retry-after-ms} carries, so that a client that
   * waits it (the OpenAI SDKs do) is not back before the call fits.
   */
  private static long millis(Duration wait) {
    if (wait.isNegative()) {
      return 1;
    }
    try {
      long millis = wait.toMillis();
      boolean part = wait.getNano() % 1_000_000 != 0;
      return Math.max(1, part && millis < Long.MAX_VALUE ? millis + 1 : millis);
    } catch (ArithmeticException beyond) {
      return Long.MAX_VALUE;
    }
  }
}
