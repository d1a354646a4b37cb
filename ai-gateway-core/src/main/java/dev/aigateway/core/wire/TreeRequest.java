package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import dev.aigateway.core.adapter.ClientRequest;
import java.util.List;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * What the formats that read their requests as a tree share (Bedrock's, Gemini's, Claude on
 * Vertex's): the call's format, match and client request, the model (named by the path, so there is
 * no deployment), the body parsed as a tree on first use (at most once, never above the gateway's
 * parse bound), the output allowance from the first of the format's fields holding a whole number,
 * one choice unless a subclass reads more, no stream usage to ask for (these providers always
 * report it), and the request's method, URL, headers and tags as the client gave them. Thread-safe.
 */
abstract class TreeRequest implements WireRequest {

  /** What the call was recognised as. */
  final CallMatch match;

  private final WireFormat format;
  private final @Nullable String model;
  private final ClientRequest request;
  private final int maxParsedBodyBytes;
  private @Nullable ObjectNode body;
  private boolean parsed;
  private @Nullable String allowanceField;
  private long allowance = -1;
  private boolean allowanceRead;

  TreeRequest(
      WireFormat format,
      @Nullable String model,
      CallMatch match,
      ClientRequest request,
      int maxParsedBodyBytes) {
    this.format = format;
    this.model = model;
    this.match = match;
    this.request = request;
    this.maxParsedBodyBytes = maxParsedBodyBytes;
  }

  @Override
  public final WireFormat format() {
    return format;
  }

  /** The model the path names, decoded. */
  @Override
  public final @Nullable String model() {
    return model;
  }

  /** No deployments: the model in the path is the {@link #model()}. */
  @Override
  public final @Nullable String deployment() {
    return null;
  }

  /** These providers' streams always report usage; nothing is asked for. */
  @Override
  public final boolean includeUsageRequested() {
    return false;
  }

  @Override
  public final boolean bodyUnderstood() {
    return body() != null;
  }

  @Override
  public int choices() {
    return 1;
  }

  /**
   * The body members that bound the output, as JSON pointers, in the order they are looked for; the
   * first holding a whole, non-negative number is the allowance per call.
   */
  abstract List<String> allowanceFields();

  @Override
  public @Nullable String maxOutputTokensField() {
    readAllowance();
    return allowanceField;
  }

  @Override
  public OptionalLong maxOutputTokens() {
    readAllowance();
    return allowance < 0 ? OptionalLong.empty() : OptionalLong.of(allowance);
  }

  private synchronized void readAllowance() {
    if (allowanceRead) {
      return;
    }
    allowanceRead = true;
    ObjectNode tree = body();
    if (tree == null) {
      return;
    }
    for (String pointer : allowanceFields()) {
      JsonNode value = tree.at(pointer);
      if (value.isIntegralNumber() && value.canConvertToLong() && value.longValue() >= 0) {
        allowance = value.longValue();
        allowanceField = pointer.substring(1).replace('/', '.');
        return;
      }
    }
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
