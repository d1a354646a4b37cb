package dev.aigateway.langchain4j;

import dev.aigateway.api.RejectionReason;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A call the gateway refused, as LangChain4j sees it. Every refusal is one of LangChain4j's own
 * exceptions ({@code dev.langchain4j.exception}), the one LangChain4j's models throw for the same
 * status from the provider, so code written against LangChain4j's hierarchy tells the refusals
 * apart as it does the provider's answers; and it implements this interface, which gives the
 * gateway's details:
 *
 * <ul>
 *   <li>{@link GatewayContentFilteredException} ({@code ContentFilteredException}): a content check
 *       blocked the prompt (400), or stopped a streamed answer midway (in the stream's {@code
 *       onError}, with the stream's status, 200).
 *   <li>{@link GatewayInvalidRequestException} ({@code InvalidRequestException}): a request the
 *       gateway cannot govern, or another 4xx refusal below (400).
 *   <li>{@link GatewayAuthenticationException} ({@code AuthenticationException}): an invalid token
 *       (401), an access denial or a blocked consumer (403).
 *   <li>{@link GatewayModelNotFoundException} ({@code ModelNotFoundException}): no backend serves
 *       the model (404).
 *   <li>{@link GatewayRateLimitException} ({@code RateLimitException}, retried by LangChain4j): a
 *       rate limit (429) with capacity back within {@link GovernedHttpClientBuilder#maxRetryWait}.
 *   <li>{@link GatewayUnavailableException} ({@code InternalServerException}, retried by
 *       LangChain4j): no backend available, or the token store or a content check unavailable
 *       (503), with a wait within {@link GovernedHttpClientBuilder#maxRetryWait}.
 *   <li>{@link GatewayRejectionException} ({@code NonRetriableException}, never retried): a spent
 *       quota, or a 429 or 503 no retry can fix soon (a longer wait, none, or a call that can never
 *       fit), so the model fails at once instead of retrying into the same refusal.
 * </ul>
 *
 * Catch this interface's implementations by LangChain4j's types, or all of them at once with {@code
 * catch (RuntimeException e)} and {@code e instanceof GatewayRejection rejection}.
 */
public sealed interface GatewayRejection
    permits GatewayContentFilteredException,
        GatewayInvalidRequestException,
        GatewayAuthenticationException,
        GatewayModelNotFoundException,
        GatewayRateLimitException,
        GatewayUnavailableException,
        GatewayRejectionException {

  /** The status of the gateway's answer (400, 401, 403, 404, 429, 503, ...). */
  default int statusCode() {
    return RejectionDetails.of(this).statusCode();
  }

  /**
   * Why the gateway refused the call, from its {@code x-ai-gateway-rejected} header or its thrown
   * rejection; null for a reason this version of the library does not know.
   */
  default @Nullable RejectionReason reason() {
    return RejectionDetails.of(this).reason();
  }

  /**
   * How long until the call could be admitted, as the gateway declared it ({@code retry-after-ms}
   * or {@code Retry-After}); null when it declared no wait.
   */
  default @Nullable Duration retryAfter() {
    return RejectionDetails.of(this).retryAfter();
  }
}
