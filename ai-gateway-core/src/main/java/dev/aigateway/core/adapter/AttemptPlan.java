package dev.aigateway.core.adapter;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * What a client adapter sends for one attempt of a routed call: the backend's URL, the headers
 * to set and remove, and the body. Its {@link #toString()} never shows header values.
 *
 * @param backendId the backend chosen
 * @param url the full URL to send to
 * @param setHeaders headers to set (the backend's credential among them)
 * @param removeHeaders headers (lower case) to remove from the application's request
 * @param body the body to send, or null to send the application's bytes
 * @param backoff how long to wait before sending (zero unless a backend is retried)
 */
public record AttemptPlan(String backendId, String url, Map<String, String> setHeaders,
    Set<String> removeHeaders, byte[] body, Duration backoff) {

  public AttemptPlan {
    setHeaders = Map.copyOf(setHeaders);
    removeHeaders = Set.copyOf(removeHeaders);
  }

  @Override
  public String toString() {
    return "AttemptPlan{" + backendId + " " + url + ", sets " + setHeaders.keySet() + "}";
  }
}
