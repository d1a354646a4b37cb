package dev.aigateway.langchain4j;

import dev.langchain4j.exception.NonRetriableException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The gateway refused a call that no retry can turn into an answer soon: a spent quota, a call that
 * can never fit a limit, or a wait longer than {@link GovernedHttpClientBuilder#maxRetryWait}. A
 * {@link NonRetriableException}, so LangChain4j's retry loop gives up at once instead of sending
 * the same call into the same rejection. Rejections that a retry can fix reach LangChain4j as its
 * own {@code RateLimitException} (retried).
 */
public final class GatewayRejectionException extends NonRetriableException {

  private static final long serialVersionUID = 1L;

  private final int statusCode;
  private final transient @Nullable Duration retryAfter;

  GatewayRejectionException(int statusCode, @Nullable Duration retryAfter, String body) {
    super("the gateway rejected the call with status " + statusCode + ": " + body);
    this.statusCode = statusCode;
    this.retryAfter = retryAfter;
  }

  /** The status of the gateway's answer: 429 for a rate limit, 403 for a spent quota. */
  public int statusCode() {
    return statusCode;
  }

  /** How long until the call could be admitted, or null when it never can in this window. */
  public @Nullable Duration retryAfter() {
    return retryAfter;
  }
}
