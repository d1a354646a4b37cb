package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.LlmRequest;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A governed call's request as its {@link WireFormat} read it: what key resolvers and policies see
 * ({@link LlmRequest}), plus what the gateway's own stages need (the parsed body for cache keys and
 * the prompt log, the raw bytes, where the application sent the call). The body is read lazily and
 * at most once; a body that is not understood reads as absent values and never throws.
 */
public interface WireRequest extends LlmRequest {

  /** The format that read this request; it counts, rewrites and answers it. */
  WireFormat format();

  /** The parsed body as a tree, or null when it is not understood. Built at most once. */
  @Nullable ObjectNode body();

  /** The body bytes exactly as the application sent them. */
  byte[] rawBody();

  /**
   * Every value of a request header (case-insensitive name), one per line the application sent, in
   * order; empty when it has none. Lines of one header mean what their values joined by commas
   * mean, so whatever reads a list of directives or features reads them all, not the {@linkplain
   * #header first} alone.
   */
  default List<String> headers(String name) {
    String value = header(name);
    return value == null ? List.of() : List.of(value);
  }

  /** The host the application addressed. */
  String host();

  /** The port the application addressed. */
  int port();

  /** The raw path the application addressed. */
  String encodedPath();

  /**
   * The provider the application addressed, as the OpenTelemetry GenAI conventions name it ({@code
   * gen_ai.provider.name}), for example {@code openai}.
   */
  String provider();

  /** The body field {@link #maxOutputTokens()} was read from, or null when none sets it. */
  @Nullable String maxOutputTokensField();

  /** The body field that asks for {@linkplain #choices() choices}: OpenAI's {@code n}. */
  default String choicesField() {
    return "n";
  }
}
