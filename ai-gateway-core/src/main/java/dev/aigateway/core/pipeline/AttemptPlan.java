package dev.aigateway.core.pipeline;

import dev.aigateway.core.wire.SafeUrls;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * What a client adapter sends for one attempt of a call ({@code core.adapter.AttemptSender.send}):
 * the backend's URL, the headers to set and remove, and the body. A call without a backend pool is
 * one attempt with no backend, sent to the application's URL. Its {@link #toString()} never shows
 * header values, nor the URL's user information or query values ({@link SafeUrls#withoutSecrets}):
 * a backend's base URL may carry a key or a signature in its query.
 *
 * @param backendId the backend chosen, or null for a call without a backend pool
 * @param url the full URL to send to, or null to send to the application's URL
 * @param setHeaders headers to set (the backend's credential among them)
 * @param removeHeaders headers (lower case) to remove from the application's request
 * @param body the body to send, or null to send the application's bytes
 * @param backoff how long the loop waited before this attempt (zero unless a backend is retried)
 * @param translation how the answer is turned back into the call's protocol when the backend speaks
 *     another one, or null when it speaks the call's own
 */
public record AttemptPlan(
    String backendId,
    String url,
    Map<String, String> setHeaders,
    Set<String> removeHeaders,
    byte[] body,
    Duration backoff,
    AnswerTranslation translation) {

  public AttemptPlan {
    setHeaders = Map.copyOf(setHeaders);
    removeHeaders = Set.copyOf(removeHeaders);
  }

  /** An attempt to a backend that speaks the call's own protocol. */
  public AttemptPlan(
      String backendId,
      String url,
      Map<String, String> setHeaders,
      Set<String> removeHeaders,
      byte[] body,
      Duration backoff) {
    this(backendId, url, setHeaders, removeHeaders, body, backoff, null);
  }

  @Override
  public String toString() {
    return "AttemptPlan{"
        + backendId
        + " "
        + (url == null ? null : SafeUrls.withoutSecrets(url))
        + ", sets "
        + setHeaders.keySet()
        + "}";
  }
}
