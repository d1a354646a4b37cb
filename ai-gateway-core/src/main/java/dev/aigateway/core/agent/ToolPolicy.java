package dev.aigateway.core.agent;

import dev.aigateway.core.safety.ContentSafety;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What one tool of an MCP server (or the whole server, or an A2A agent) may take: calls per minute,
 * calls in flight at once, the size of its arguments, and the content checks its arguments and
 * results pass. Every setting is off unless set. Immutable and thread-safe.
 *
 * <pre>{@code
 * ToolPolicy.builder()
 *     .callsPerMinute(10)          // the 11th call in a minute gets a JSON-RPC error with retryAfter
 *     .maxInFlight(2)              // a third concurrent call is refused
 *     .maxArgumentBytes(8_192)     // larger arguments are refused, never sent
 *     .contentChecks(ContentSafety.builder().pii(SafetyAction.BLOCK))
 *     .build();
 * }</pre>
 */
public final class ToolPolicy {

  /** No limits and no checks. */
  public static final ToolPolicy NONE = builder().build();

  private final long callsPerMinute;
  private final int maxInFlight;
  private final long maxArgumentBytes;
  private final @Nullable ContentSafety contentChecks;

  private ToolPolicy(Builder b) {
    this.callsPerMinute = b.callsPerMinute;
    this.maxInFlight = b.maxInFlight;
    this.maxArgumentBytes = b.maxArgumentBytes;
    this.contentChecks = b.contentChecks;
  }

  /** A builder with nothing set. */
  public static Builder builder() {
    return new Builder();
  }

  /** Calls allowed per minute (a bucket refilling continuously), or 0 when unlimited. */
  public long callsPerMinute() {
    return callsPerMinute;
  }

  /** Calls allowed in flight at once, or 0 when unlimited. */
  public int maxInFlight() {
    return maxInFlight;
  }

  /** The largest {@code params} a call may send, in bytes, or 0 when unlimited. */
  public long maxArgumentBytes() {
    return maxArgumentBytes;
  }

  /** The checks of arguments (before sending) and results (as they arrive), or null. */
  public @Nullable ContentSafety contentChecks() {
    return contentChecks;
  }

  @Override
  public String toString() {
    return "ToolPolicy{callsPerMinute="
        + callsPerMinute
        + ", maxInFlight="
        + maxInFlight
        + ", maxArgumentBytes="
        + maxArgumentBytes
        + ", contentChecks="
        + contentChecks
        + "}";
  }

  /** Builds a {@link ToolPolicy}; setters validate at once and replace an earlier value. */
  public static final class Builder {
    private long callsPerMinute;
    private int maxInFlight;
    private long maxArgumentBytes;
    private @Nullable ContentSafety contentChecks;

    private Builder() {}

    /** At most {@code calls} per minute, refilled continuously (a token bucket of requests). */
    public Builder callsPerMinute(long calls) {
      if (calls < 1) {
        throw new IllegalArgumentException("callsPerMinute must be at least 1 but was " + calls);
      }
      this.callsPerMinute = calls;
      return this;
    }

    /** At most {@code calls} in flight at once (a slot is freed when the call's answer ends). */
    public Builder maxInFlight(int calls) {
      if (calls < 1) {
        throw new IllegalArgumentException("maxInFlight must be at least 1 but was " + calls);
      }
      this.maxInFlight = calls;
      return this;
    }

    /** Refuses calls whose {@code params} are larger than {@code bytes} (as sent, UTF-8). */
    public Builder maxArgumentBytes(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxArgumentBytes must be at least 1 but was " + bytes);
      }
      this.maxArgumentBytes = bytes;
      return this;
    }

    /**
     * Checks the arguments before the call is sent, and the result as it arrives (their string
     * values, numbers as their decimal text, and object member names), with the text rules (deny
     * lists, personal data: {@code BLOCK} and {@code REDACT} both block, since arguments and
     * results are never rewritten) and the external checks (prompt checks on arguments, answer
     * checks on results) of {@code safety}. An MCP server's checks and every tool's also read the
     * requests the server sends the client ({@code sampling/createMessage}, {@code
     * elicitation/create}: answer checks) and the client's answers to them (prompt checks); see
     * {@code docs/agents.md}.
     */
    public Builder contentChecks(ContentSafety safety) {
      this.contentChecks = Objects.requireNonNull(safety, "safety");
      return this;
    }

    /** Builds and sets the content checks; see {@link #contentChecks(ContentSafety)}. */
    public Builder contentChecks(ContentSafety.Builder safety) {
      return contentChecks(safety.build());
    }

    /** Builds the policy. */
    public ToolPolicy build() {
      return new ToolPolicy(this);
    }
  }
}
