package dev.aigateway.core.wire.tiny;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.wire.BodyListener;
import dev.aigateway.core.wire.ClientRequest;
import dev.aigateway.core.wire.JsonBody;
import dev.aigateway.core.wire.LocalError;
import dev.aigateway.core.wire.ObservedBody;
import dev.aigateway.core.wire.Replayed;
import dev.aigateway.core.wire.ResponseReadout;
import dev.aigateway.core.wire.SseBody;
import dev.aigateway.core.wire.WireFormat;
import dev.aigateway.core.wire.WireRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * A made-up provider protocol, "tiny", written against the public wire-format seam only (it lives
 * outside {@code core.wire}), to show that a protocol is added without touching the orchestrator.
 *
 * <ul>
 *   <li>Calls: {@code POST …/tiny/v1/generate} carrying a {@code tiny-version} header.
 *   <li>Request: {@code {"engine":"e1","text":"…","limit":20,"stream":false}}.
 *   <li>Answer: {@code {"engine":"e1","output":"…","spent":{"in":3,"out":2}}}; a stream is events
 *       {@code {"piece":"…"}}, then {@code {"done":true,"engine":"e1","spent":{…}}}.
 *   <li>Errors: {@code {"problem":{"why":"token-rate-limit","detail":"…"}}} as {@code
 *       application/problem+json}.
 * </ul>
 */
public final class TinyFormat implements WireFormat {

  public static final String PATH_END = "/tiny/v1/generate";
  public static final String VERSION_HEADER = "tiny-version";
  public static final String ERROR_TYPE = "application/problem+json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String pathEnding;

  /** The tiny format, recognised by the last path segment {@code generate}. */
  public TinyFormat() {
    this("generate");
  }

  /** The tiny format registered under another path ending (to test the registry's checks). */
  public TinyFormat(String pathEnding) {
    this.pathEnding = pathEnding;
  }

  @Override
  public String name() {
    return "tiny";
  }

  @Override
  public Operation operation() {
    return Operation.CHAT_COMPLETIONS;
  }

  @Override
  public List<String> pathEndings() {
    return List.of(pathEnding);
  }

  @Override
  public CallMatch recognise(String method, String path, Function<String, String> headers) {
    return method.equals("POST") && path.endsWith(PATH_END) && headers.apply(VERSION_HEADER) != null
        ? new CallMatch(Operation.CHAT_COMPLETIONS, null)
        : null;
  }

  @Override
  public WireRequest readRequest(CallMatch match, ClientRequest request, int maxParsedBodyBytes) {
    return new TinyRequest(this, match, request, maxParsedBodyBytes);
  }

  @Override
  public long countPrompt(TokenCounter counter, WireRequest request) {
    ObjectNode body = request.body();
    return body == null ? 0 : counter.countText(request.model(), body.path("text").asText()) + 1;
  }

  @Override
  public boolean asksForStreamUsage() {
    return false;
  }

  @Override
  public ObservedBody observeDocument(
      InputStream upstream, BodyListener listener, BooleanSupplier callCanceled, int maxCopyBytes) {
    return new JsonBody(upstream, listener, callCanceled, maxCopyBytes, TinyFormat::readAnswer);
  }

  @Override
  public ObservedBody observeStream(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      boolean hideUsage) {
    return new SseBody(upstream, listener, callCanceled, TinyFormat::readEvent);
  }

  private static void readAnswer(ResponseReadout readout, byte[] document, int from, int to) {
    JsonNode answer = parse(document, from, to);
    if (answer != null) {
      readout.learnUsage(answer.path("engine").textValue(), spent(answer.get("spent")));
      readout.appendText(answer.path("output").asText(""));
      readout.markComplete();
    }
  }

  private static void readEvent(ResponseReadout readout, byte[] data, int from, int to) {
    JsonNode event = parse(data, from, to);
    if (event == null) {
      return;
    }
    if (event.has("piece")) {
      readout.appendText(event.get("piece").asText(""));
    }
    if (event.path("done").asBoolean(false)) {
      readout.learnUsage(event.path("engine").textValue(), spent(event.get("spent")));
      readout.markComplete();
    }
  }

  private static Usage spent(JsonNode spent) {
    return spent == null || !spent.isObject()
        ? null
        : Usage.of(spent.path("in").asLong(0), spent.path("out").asLong(0));
  }

  private static JsonNode parse(byte[] bytes, int from, int to) {
    try {
      return JSON.readTree(bytes, from, to - from);
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public byte[] errorBody(LocalError error) {
    try {
      return JSON.writeValueAsBytes(
          Map.of(
              "problem", Map.of("why", error.reason().headerValue(), "detail", error.message())));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String errorContentType() {
    return ERROR_TYPE;
  }

  /** Answers are replayed in the form they were stored in, never converted. */
  @Override
  public Replayed replay(CachedResponse cached, boolean stream, boolean includeUsage) {
    boolean storedStream = cached.format() == CachedResponse.Format.SSE;
    if (storedStream != stream) {
      return null;
    }
    return new Replayed(cached.body(), stream ? "text/event-stream" : "application/json");
  }

  @Override
  public String backendUrl(
      BackendFlavor flavor, String baseUrl, String apiVersion, String targetModel) {
    return baseUrl + PATH_END;
  }

  @Override
  public boolean modelInBody(BackendFlavor flavor) {
    return true;
  }

  @Override
  public byte[] bodyForBackend(WireRequest request, String model, boolean askStreamUsage) {
    ObjectNode body = request.body();
    if (body == null || model == null || model.equals(request.model())) {
      return null;
    }
    ObjectNode rewritten = body.deepCopy();
    rewritten.put("engine", model);
    try {
      return JSON.writeValueAsBytes(rewritten);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A tiny request, its body parsed whole on first use. */
  private static final class TinyRequest implements WireRequest {
    private final TinyFormat format;
    private final CallMatch match;
    private final ClientRequest request;
    private final int maxParsedBodyBytes;
    private ObjectNode body;
    private boolean parsed;

    TinyRequest(TinyFormat format, CallMatch match, ClientRequest request, int maxParsedBodyBytes) {
      this.format = format;
      this.match = match;
      this.request = request;
      this.maxParsedBodyBytes = maxParsedBodyBytes;
    }

    @Override
    public WireFormat format() {
      return format;
    }

    @Override
    public synchronized ObjectNode body() {
      if (!parsed) {
        parsed = true;
        byte[] bytes = request.body();
        JsonNode node = bytes.length <= maxParsedBodyBytes ? parse(bytes, 0, bytes.length) : null;
        body = node instanceof ObjectNode object ? object : null;
      }
      return body;
    }

    @Override
    public byte[] rawBody() {
      return request.body();
    }

    @Override
    public String host() {
      return request.host();
    }

    @Override
    public int port() {
      return request.port();
    }

    @Override
    public String encodedPath() {
      return request.encodedPath();
    }

    @Override
    public String provider() {
      return "tiny";
    }

    @Override
    public String maxOutputTokensField() {
      return body() != null && body().has("limit") ? "limit" : null;
    }

    @Override
    public Operation operation() {
      return match.operation();
    }

    @Override
    public String method() {
      return request.method();
    }

    @Override
    public String url() {
      return request.url();
    }

    @Override
    public String header(String name) {
      return request.header(name);
    }

    @Override
    public <T> T tag(Class<? extends T> type) {
      return request.tag(type);
    }

    @Override
    public String deployment() {
      return null;
    }

    @Override
    public String model() {
      return body() == null ? null : body().path("engine").textValue();
    }

    @Override
    public boolean stream() {
      return body() != null && body().path("stream").asBoolean(false);
    }

    @Override
    public boolean includeUsageRequested() {
      return false;
    }

    @Override
    public OptionalLong maxOutputTokens() {
      JsonNode limit = body() == null ? null : body().get("limit");
      return limit != null && limit.canConvertToLong()
          ? OptionalLong.of(limit.longValue())
          : OptionalLong.empty();
    }

    @Override
    public int choices() {
      return 1;
    }

    @Override
    public boolean bodyUnderstood() {
      return body() != null;
    }
  }
}
