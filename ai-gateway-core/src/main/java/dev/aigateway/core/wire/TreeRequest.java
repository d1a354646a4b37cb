package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
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
  private JsonNode @Nullable [] members;
  private boolean membersRead;
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

  /**
   * Whether the body is one JSON object within the parse bound: decided by the read of the {@link
   * #memberReader()}'s members when no tree was built (the same answer the tree gives), else by the
   * tree.
   */
  @Override
  public final synchronized boolean bodyUnderstood() {
    if (!parsed && readMembers() != null) {
      return true;
    }
    return body() != null;
  }

  /** The client's request with {@code body} in place of its own (a redacted prompt). */
  final ClientRequest clientWith(byte[] body) {
    return new ReplacedBody(request, body);
  }

  /** The gateway's bound on the bodies it parses, as this request was read with. */
  final int maxParsedBodyBytes() {
    return maxParsedBodyBytes;
  }

  /** Whether the body's tree was built (by a stage that needed it). */
  final synchronized boolean treeBuilt() {
    return parsed;
  }

  /**
   * The reader of the body members this request reads without a tree: at least the {@link
   * #allowanceFields()}, and any other a subclass reads with {@link #member}. One per format (it is
   * immutable), not one per request.
   */
  abstract RequestMembers memberReader();

  /**
   * The body's value at {@code pointer} (one of the {@link #memberReader()}'s), or null when
   * absent: read in the one pass over the bytes when the tree was not built and that pass succeeded
   * ({@link RequestMembers}), else from the tree. Both give the same node.
   */
  final synchronized @Nullable JsonNode member(String pointer) {
    JsonNode[] read = parsed ? null : readMembers();
    if (read != null) {
      int index = memberReader().indexOf(pointer);
      if (index < 0) {
        throw new IllegalArgumentException("not a member read: " + pointer);
      }
      return read[index];
    }
    ObjectNode tree = body();
    if (tree == null) {
      return null;
    }
    JsonNode value = tree.at(pointer);
    return value.isMissingNode() ? null : value;
  }

  /**
   * The streaming read of the members, once; null when it did not succeed or the body is too big.
   */
  private JsonNode @Nullable [] readMembers() {
    if (!membersRead) {
      membersRead = true;
      byte[] bytes = request.body();
      members = bytes.length <= maxParsedBodyBytes ? memberReader().read(bytes) : null;
    }
    return members;
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
    for (String pointer : allowanceFields()) {
      long value = RequestCounts.count(member(pointer));
      if (value >= 0) {
        allowance = value;
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

  /**
   * A top-level scalar of the body, or, when the top level has no member of that name, one of the
   * {@link #settingsMember()} object's, if any: a {@link String}, {@link Number} or {@link
   * Boolean}; null when absent, JSON {@code null}, an object or array, or the body was not
   * understood.
   */
  @Override
  public @Nullable Object parameter(String name) {
    ObjectNode tree = body();
    if (tree == null) {
      return null;
    }
    JsonNode value = tree.get(name);
    String settings = settingsMember();
    if (value == null && settings != null) {
      JsonNode config = tree.get(settings);
      value = config == null ? null : config.get(name);
    }
    if (value == null || !value.isValueNode() || value.isNull()) {
      return null;
    }
    if (value.isNumber()) {
      return value.numberValue();
    }
    return value.isBoolean() ? value.booleanValue() : value.asText();
  }

  /**
   * The top-level object whose scalars {@link #parameter} reads when the top level lacks one (the
   * format's sampling settings), or null when there is none.
   */
  @Nullable String settingsMember() {
    return null;
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
  public final List<String> headers(String name) {
    return request.headers(name);
  }

  @Override
  public final <T> @Nullable T tag(Class<? extends T> type) {
    return request.tag(type);
  }
}
