package dev.aigateway.api;

import java.util.List;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * A governed call's request, as key resolvers and policies see it. The JSON body is parsed once,
 * lazily, the first time a body-derived property is asked for; a body that is not valid JSON, or
 * not the expected shape, reads as absent values and never throws.
 */
public interface LlmRequest {

  /** The operation the call matched. */
  Operation operation();

  /** The HTTP method, upper case. */
  String method();

  /** The full request URL as the application sent it. */
  String url();

  /**
   * The first value of a request header, or null. Names are case-insensitive. Use this for consumer
   * ids and similar; avoid logging credential headers.
   */
  @Nullable String header(String name);

  /**
   * Every value of a request header (case-insensitive name), one per line the application sent, in
   * order; empty when it has none. Lines of one header mean what their values joined by commas
   * mean, so whatever reads a list (of roles, directives, features) reads them all, not the
   * {@linkplain #header first} alone. By default the {@linkplain #header first} value only.
   */
  default List<String> headers(String name) {
    String value = header(name);
    return value == null ? List.of() : List.of(value);
  }

  /**
   * A tag the application attached to the request (OkHttp's {@code Request.tag(Class)}), or null.
   */
  <T> @Nullable T tag(Class<? extends T> type);

  /** The Azure OpenAI deployment named in the path, or null. */
  @Nullable String deployment();

  /**
   * The model the call asks for: the body's {@code model}, else the Azure deployment, else null.
   */
  @Nullable String model();

  /** Whether the body asks for a server-sent-events stream ({@code "stream": true}). */
  boolean stream();

  /** Whether the application itself asked for {@code stream_options.include_usage}. */
  boolean includeUsageRequested();

  /**
   * The output allowance the body sets: {@code max_completion_tokens}, {@code max_tokens} or {@code
   * max_output_tokens}, whichever is present first in that order.
   */
  OptionalLong maxOutputTokens();

  /**
   * The number of choices asked for ({@code n}), 1 when absent or invalid; for a legacy completions
   * request whose {@code best_of} is larger, {@code best_of} (the completions generated and
   * billed).
   */
  int choices();

  /** Whether the body was parsed as a JSON object. False for malformed or oversized bodies. */
  boolean bodyUnderstood();

  /**
   * A top-level scalar of the JSON body, such as {@code temperature} or {@code seed}: a {@link
   * String}, {@link Number} or {@link Boolean}; null when the field is absent, JSON {@code null},
   * an object or array, or the body was not understood. Where a format keeps its sampling settings
   * in an object, a name the top level lacks is read there: Gemini's {@code generationConfig},
   * Bedrock Converse's {@code inferenceConfig}. Reading it parses the body.
   */
  default @Nullable Object parameter(String name) {
    return null;
  }
}
