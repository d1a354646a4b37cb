package dev.aigateway.core.pipeline;

import java.util.Map;

/**
 * The gateway's decision on a call before it is sent: a {@link Rejection}, an answer from the
 * response cache, or the go-ahead with what to add to the response (what to send is each attempt's
 * {@link AttemptPlan}).
 *
 * @param rejection the rejection, or null
 * @param responseHeaders headers to add to the response (limit headers, cache outcome)
 * @param cachedAnswer the answer to give without calling any backend, or null
 */
public record Admission(
    Rejection rejection, Map<String, String> responseHeaders, CachedAnswer cachedAnswer) {

  public Admission {
    responseHeaders = Map.copyOf(responseHeaders);
  }

  /** A rejection: nothing is sent, the rejection's own headers go with it. */
  public static Admission rejected(Rejection rejection) {
    return new Admission(rejection, Map.of(), null);
  }

  /** An answer from the cache (its headers are added by the call). */
  public static Admission cached(CachedAnswer answer) {
    return new Admission(null, Map.of(), answer);
  }

  /** Whether the call may go on (to a backend, or to its cached answer). */
  public boolean admitted() {
    return rejection == null;
  }

  /**
   * A cached answer: a 200 response with this body.
   *
   * @param body the whole body (JSON, or a complete event stream)
   * @param contentType its media type
   */
  public record CachedAnswer(byte[] body, String contentType) {}
}
