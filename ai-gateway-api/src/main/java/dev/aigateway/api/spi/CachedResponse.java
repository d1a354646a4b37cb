package dev.aigateway.api.spi;

import dev.aigateway.api.Usage;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A successful backend answer kept by the response cache, in the form it arrived.
 *
 * <p>{@link #body()} holds the bytes the backend sent: a JSON document for {@link Format#JSON}, or
 * the complete server-sent-event stream (through its end marker) for {@link Format#SSE}. The
 * gateway replays it in whichever form a later request asks for.
 *
 * @param format the body's wire form
 * @param body the backend's bytes; not copied, so callers must not modify the array
 * @param model the model that answered, as the backend reported it (null when unknown)
 * @param usage the tokens the original call used (what a hit saves)
 * @param storedAt when the answer was stored
 */
public record CachedResponse(
    Format format, byte[] body, @Nullable String model, Usage usage, Instant storedAt) {

  /** How a cached body is encoded. */
  public enum Format {
    /** A JSON document ({@code application/json}). */
    JSON,
    /** A server-sent-event stream ({@code text/event-stream}), ending with its end marker. */
    SSE
  }

  public CachedResponse {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(usage, "usage");
    Objects.requireNonNull(storedAt, "storedAt");
  }

  /** Approximate heap bytes this entry holds, for size-bounded stores. */
  public long weight() {
    return 96L + body.length + (model == null ? 0 : 2L * model.length());
  }

  @Override
  public String toString() {
    // Bodies are application content: never print them.
    return "CachedResponse["
        + format
        + ", "
        + body.length
        + " bytes, model="
        + model
        + ", usage="
        + usage
        + ", storedAt="
        + storedAt
        + "]";
  }
}
