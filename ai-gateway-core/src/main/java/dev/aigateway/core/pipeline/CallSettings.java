package dev.aigateway.core.pipeline;

import dev.aigateway.api.KeyResolver;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.wire.WireFormats;
import java.time.Clock;
import org.jspecify.annotations.Nullable;

/**
 * What a governed call reads of its gateway's configuration. The gateway ({@code core.AiGateway})
 * makes one when it is built and each of its calls' {@link Exchange}s holds it ({@link
 * Exchange#settings()}), so that the orchestrator and the stages read these values rather than the
 * gateway that assembles them. Immutable. Internal to the library.
 *
 * @param wireFormats the formats that read, count and answer each call
 * @param consumerKey resolves who is charged for a call
 * @param clock the clock the gateway reads time from
 * @param tokenCounter counts prompts and answers
 * @param defaultOutputAllowance output tokens reserved for a call that sets no {@code max_tokens}
 * @param injectStreamUsage whether a stream that does not ask for its usage is made to
 * @param cachesResponses whether a response cache is configured
 * @param quotaRejectionStatus the status a spent quota is answered with: 403 or 429
 * @param maxParsedBodyBytes request bodies above this size are sent on unparsed
 * @param maxObservedBodyBytes JSON answers above this size are not parsed for usage
 * @param closedStreamAllowance whether a stream the application closes early is charged at least
 *     its whole output allowance ({@code ClosedStreamCharge.OUTPUT_ALLOWANCE}) rather than the text
 *     it read
 */
public record CallSettings(
    WireFormats wireFormats,
    KeyResolver consumerKey,
    Clock clock,
    TokenCounter tokenCounter,
    long defaultOutputAllowance,
    boolean injectStreamUsage,
    boolean cachesResponses,
    int quotaRejectionStatus,
    int maxParsedBodyBytes,
    int maxObservedBodyBytes,
    boolean closedStreamAllowance) {

  /** The consumer of calls whose consumer key resolves to nothing. */
  public static final String ANONYMOUS = "anonymous";

  /**
   * A resolved id as the gateway reads it, on LLM, MCP and A2A calls alike: trimmed, as a limit's
   * {@code onlyFor} and access rules read the ids they are given (a token's {@code sub} written
   * {@code "team-a "} is team-a); null when it is null or blank.
   */
  public static @Nullable String resolvedId(@Nullable String resolved) {
    return resolved == null || resolved.isBlank() ? null : resolved.strip();
  }
}
