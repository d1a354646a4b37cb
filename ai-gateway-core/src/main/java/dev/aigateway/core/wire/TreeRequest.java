package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import dev.aigateway.core.adapter.ClientRequest;
import org.jspecify.annotations.Nullable;

/**
 * What the formats that read their requests as a tree share (Bedrock's, Gemini's): the call's match
 * and client request, the body parsed as a tree on first use (at most once, never above the
 * gateway's parse bound), and the request's method, URL, headers and tags as the client gave them.
 * Thread-safe.
 */
abstract class TreeRequest implements WireRequest {

  /** What the call was recognised as. */
  final CallMatch match;

  private final ClientRequest request;
  private final int maxParsedBodyBytes;
  private @Nullable ObjectNode body;
  private boolean parsed;

  TreeRequest(CallMatch match, ClientRequest request, int maxParsedBodyBytes) {
    this.match = match;
    this.request = request;
    this.maxParsedBodyBytes = maxParsedBodyBytes;
  }

  @Override
  public final synchronized @Nullable ObjectNode body() {
    if (!parsed) {
      parsed = true;
      byte[] bytes = request.body();
      JsonNode node =
          bytes.length <= maxParsedBodyBytes ? Json.parseOrNull(bytes, 0, bytes.length) : null;
      body = node instanceof ObjectNode object ? object : null;
    }
    return body;
  }

  @Override
  public final byte[] rawBody() {
    return request.body();
  }

  @Override
  public final String host() {
    return request.host();
  }

  @Override
  public final int port() {
    return request.port();
  }

  @Override
  public final String encodedPath() {
    return request.encodedPath();
  }

  @Override
  public final Operation operation() {
    return match.operation();
  }

  @Override
  public final String method() {
    return request.method();
  }

  @Override
  public final String url() {
    return request.url();
  }

  @Override
  public final @Nullable String header(String name) {
    return request.header(name);
  }

  @Override
  public final <T> @Nullable T tag(Class<? extends T> type) {
    return request.tag(type);
  }
}
