package dev.aigateway.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.okhttp.OkHttpAiGateway;
import io.swagger.v3.oas.models.OpenAPI;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;

/**
 * A REST API described by an OpenAPI 3 document, as tools: each operation is a tool whose input
 * schema holds its parameters and body, and a tool call is the HTTP request, sent through the given
 * (governed) OkHttp client. The same tools are served to MCP clients by {@link OpenApiMcpServer}
 * and offered to OpenAI models by {@link #openAiTools()} and {@link #executeToolCalls(String)}.
 *
 * <pre>{@code
 * OpenApiTools petstore =
 *     OpenApiTools.builder(governedClient)
 *         .document(Path.of("petstore.yaml"))
 *         .baseUrl("https://petstore.internal/api")
 *         .header("Authorization", "Bearer " + token)
 *         .build();
 * ToolResult pet = petstore.call("getPetById", "{\"petId\": 7}");
 * }</pre>
 *
 * <p>What a tool sends: path parameters substituted into the template and percent-encoded (a value
 * that leaves its segment empty, {@code .} or {@code ..}, which would send the request to another
 * path, is a tool error without a request), query parameters (an array repeated, or comma-joined
 * where {@code explode: false}), header parameters, the {@code body} argument as the JSON request
 * body, and the configured headers (the credential) on every request. What it answers: the status,
 * and the body as text; a non-2xx status is a tool error carrying status and body.
 *
 * <p>Not supported, refused when the tools are built (or, with {@link
 * Builder#skipUnsupported(boolean)}, left out and listed by {@link #unsupported()}): cookie
 * parameters, object-valued parameters, request bodies other than JSON (forms, multipart, binary).
 * Schemas are passed through as the document writes them ({@code oneOf}, {@code anyOf}, {@code
 * allOf} included, their {@code $ref}s inlined); they are not checked against the arguments before
 * sending. The document's security schemes are not read: the credential is whatever headers are
 * configured. Immutable and thread-safe.
 */
public final class OpenApiTools {

  /** The most bytes of an answer a tool result holds by default: 1 MiB. */
  public static final int DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final OkHttpClient client;
  private final HttpUrl baseUrl;
  private final ExtraHeaders headers;
  private final int maxResponseBytes;
  private final Map<String, ApiOperation> operations;
  private final List<ApiTool> tools;
  private final List<String> unsupported;

  private OpenApiTools(Builder builder, OpenAPI api) {
    OpenApiReader.Result read = OpenApiReader.read(api);
    if (!read.unsupported().isEmpty() && !builder.skipUnsupported) {
      throw new IllegalArgumentException(
          "the document has operations this library cannot call (skipUnsupported(true) leaves"
              + " them out): "
              + String.join("; ", read.unsupported()));
    }
    // The configured headers (the API's credential) go to the API's origin only, not with a
    // redirect to another one.
    this.client =
        builder.headers.isEmpty()
            ? builder.client
            : OkHttpAiGateway.withRedirectGuard(builder.client.newBuilder()).build();
    this.baseUrl = baseUrl(builder.baseUrl, read.server());
    this.headers = builder.headers.copy();
    this.maxResponseBytes = builder.maxResponseBytes;
    Map<String, ApiOperation> byName = new LinkedHashMap<>();
    List<ApiTool> list = new ArrayList<>();
    for (ApiOperation operation : read.operations()) {
      byName.put(operation.name(), operation);
      list.add(
          new ApiTool(
              operation.name(),
              operation.description(),
              operation.method(),
              operation.path(),
              operation.inputSchema().toString()));
    }
    if (list.isEmpty()) {
      throw new IllegalArgumentException(
          "the document has no operation this library can call: "
              + String.join("; ", read.unsupported()));
    }
    this.operations = java.util.Collections.unmodifiableMap(byName);
    this.tools = List.copyOf(list);
    this.unsupported = read.unsupported();
  }

  private static HttpUrl baseUrl(@Nullable String configured, @Nullable String server) {
    String url = configured != null ? configured : server;
    if (url == null) {
      throw new IllegalArgumentException(
          "no base URL: the document names no server; set one with baseUrl(..)");
    }
    HttpUrl parsed = HttpUrl.parse(url);
    if (parsed == null) {
      throw new IllegalArgumentException(
          "the base URL must be an absolute http(s) URL but was "
              + ShownUrl.of(url)
              + (configured == null
                  ? " (the document's first server); set one with baseUrl(..)"
                  : ""));
    }
    return parsed;
  }

  /**
   * The tools of {@code document} (OpenAPI 3, JSON or YAML) at {@code baseUrl}, over {@code
   * client}.
   */
  public static OpenApiTools from(String document, String baseUrl, OkHttpClient client) {
    return builder(client).document(document).baseUrl(baseUrl).build();
  }

  /** A builder of tools calling over {@code client}, normally the governed one. */
  public static Builder builder(OkHttpClient client) {
    return new Builder(client);
  }

  /** The tools, one per operation, in document order. */
  public List<ApiTool> tools() {
    return tools;
  }

  /** The operations left out (with {@link Builder#skipUnsupported(boolean)}), each with why. */
  public List<String> unsupported() {
    return unsupported;
  }

  /** The base URL the operations' paths are appended to. */
  public String baseUrl() {
    return baseUrl.toString();
  }

  /**
   * Calls tool {@code name} with {@code argumentsJson} (a JSON object; empty or null for none).
   * Unusable arguments are a tool error without a request; an HTTP answer of any status is a
   * result.
   *
   * @throws IllegalArgumentException for a tool that does not exist
   * @throws IOException when the request failed (the gateway's {@code GatewayRejectedException}
   *     among them, when it is configured to throw) or the header supplier threw
   */
  public ToolResult call(String name, @Nullable String argumentsJson) throws IOException {
    ObjectNode arguments;
    try {
      arguments = arguments(argumentsJson);
    } catch (IllegalArgumentException e) {
      return new ToolResult(0, "", e.getMessage(), true);
    }
    return call(name, arguments);
  }

  ToolResult call(String name, ObjectNode arguments) throws IOException {
    ApiOperation operation = operations.get(Objects.requireNonNull(name, "name"));
    if (operation == null) {
      throw new IllegalArgumentException(
          "no tool named " + name + "; the tools are " + operations.keySet());
    }
    Request request;
    try {
      request = operation.request(baseUrl, arguments);
    } catch (IllegalArgumentException e) {
      return new ToolResult(0, "", name + ": " + e.getMessage(), true);
    }
    Request.Builder withHeaders = request.newBuilder();
    headers.addTo(withHeaders, request.url(), "the API's tools");
    try (Response response = client.newCall(withHeaders.build()).execute()) {
      ResponseBody body = response.body();
      String contentType =
          body == null || body.contentType() == null ? "" : body.contentType().toString();
      String text = body == null ? "" : text(body);
      boolean ok = response.isSuccessful();
      if (!ok) {
        String reason = response.message().isEmpty() ? "" : " " + response.message();
        text = "HTTP " + response.code() + reason + (text.isEmpty() ? "" : ": " + text);
      }
      return new ToolResult(response.code(), contentType, text, !ok);
    }
  }

  private String text(ResponseBody body) throws IOException {
    BufferedSource source = body.source();
    boolean complete = !source.request(maxResponseBytes + 1L);
    long size = Math.min(source.getBuffer().size(), maxResponseBytes);
    Charset charset =
        body.contentType() == null
            ? StandardCharsets.UTF_8
            : body.contentType().charset(StandardCharsets.UTF_8);
    String text = source.getBuffer().readString(size, charset);
    return complete ? text : text + "… (truncated after " + maxResponseBytes + " bytes)";
  }

  private static ObjectNode arguments(@Nullable String json) {
    if (json == null || json.isBlank()) {
      return JsonNodeFactory.instance.objectNode();
    }
    JsonNode tree;
    try {
      tree = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the arguments are not JSON: " + e.getOriginalMessage());
    }
    if (tree == null || tree.isNull()) {
      return JsonNodeFactory.instance.objectNode();
    }
    if (!tree.isObject()) {
      throw new IllegalArgumentException(
          "the arguments must be a JSON object but were " + tree.getNodeType());
    }
    return (ObjectNode) tree;
  }

  /**
   * The tools as the {@code tools} array of an OpenAI Chat Completions request: {@code
   * [{"type":"function","function":{"name","description","parameters"}}, …]}, as JSON text.
   */
  public String openAiTools() {
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    for (ApiOperation operation : operations.values()) {
      ObjectNode function = JsonNodeFactory.instance.objectNode();
      function.put("name", operation.name());
      function.put("description", operation.description());
      function.set("parameters", operation.inputSchema());
      array.addObject().put("type", "function").set("function", function);
    }
    return array.toString();
  }

  /**
   * Runs one tool call of a model and answers the text to give it back: the API's answer, or for a
   * failure what went wrong (an unknown tool, unusable arguments, an error status with its body, a
   * failed request), so the model can correct itself.
   */
  public String execute(String name, @Nullable String argumentsJson) {
    return run(name, argumentsJson).text();
  }

  private ToolResult run(String name, @Nullable String argumentsJson) {
    if (!operations.containsKey(name)) {
      return new ToolResult(0, "", "error: no tool named " + name, true);
    }
    try {
      return call(name, argumentsJson);
    } catch (IOException e) {
      return new ToolResult(0, "", "error: the request failed: " + e.getMessage(), true);
    }
  }

  /**
   * Runs every tool call of a model's answer, in order, and answers the follow-up {@code tool}
   * messages. {@code json} is a Chat Completions answer (its first choice's message is read), an
   * assistant message, or its {@code tool_calls} array. Calls of type other than {@code function}
   * are answered with an error message.
   *
   * @throws IllegalArgumentException when {@code json} is none of those
   */
  public List<ToolMessage> executeToolCalls(String json) {
    JsonNode tree;
    try {
      tree = JSON.readTree(Objects.requireNonNull(json, "json"));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
    JsonNode calls = tree;
    if (tree != null && tree.has("choices")) {
      calls = tree.path("choices").path(0).path("message").path("tool_calls");
    } else if (tree != null && tree.isObject()) {
      calls = tree.path("tool_calls");
    }
    if (calls == null || calls.isMissingNode() || calls.isNull()) {
      return List.of();
    }
    if (!calls.isArray()) {
      throw new IllegalArgumentException(
          "expected a chat completion, an assistant message or a tool_calls array");
    }
    List<ToolMessage> messages = new ArrayList<>();
    for (JsonNode call : calls) {
      String id = call.path("id").asText("");
      String name = call.path("function").path("name").asText("");
      if (!call.path("type").asText("function").equals("function")) {
        messages.add(new ToolMessage(id, name, "error: only function tool calls are run", true));
        continue;
      }
      JsonNode arguments = call.path("function").path("arguments");
      ToolResult result =
          run(
              name,
              arguments.isTextual()
                  ? arguments.asText()
                  : arguments.isMissingNode() ? null : arguments.toString());
      messages.add(new ToolMessage(id, name, result.text(), result.isError()));
    }
    return List.copyOf(messages);
  }

  /** Configures {@link OpenApiTools}. Not thread-safe. */
  public static final class Builder {
    private final OkHttpClient client;
    private @Nullable OpenAPI api;
    private @Nullable String baseUrl;
    private final ExtraHeaders headers = new ExtraHeaders();
    private boolean skipUnsupported;
    private int maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;

    private Builder(OkHttpClient client) {
      this.client = Objects.requireNonNull(client, "client");
    }

    /**
     * The OpenAPI 3 document's text, JSON or YAML.
     *
     * @throws IllegalArgumentException for a document that is not OpenAPI 3, with the parser's
     *     messages
     */
    public Builder document(String document) {
      this.api = OpenApiReader.parseContents(Objects.requireNonNull(document, "document"));
      return this;
    }

    /** The OpenAPI 3 document in a file; references to other files resolve relative to it. */
    public Builder document(Path document) {
      Objects.requireNonNull(document, "document");
      if (!Files.isReadable(document)) {
        throw new IllegalArgumentException("cannot read the OpenAPI document " + document);
      }
      this.api = OpenApiReader.parseLocation(document.toAbsolutePath().toString());
      return this;
    }

    /**
     * The OpenAPI 3 document at {@code url}, fetched now through the builder's client.
     *
     * @throws IOException when it cannot be fetched; an error status is reported with the URL
     *     without its user info and query, which may hold a credential
     */
    public Builder documentUrl(String url) throws IOException {
      HttpUrl parsed = HttpUrl.parse(Objects.requireNonNull(url, "url"));
      if (parsed == null) {
        throw new IllegalArgumentException(
            "the OpenAPI document's URL must be an absolute http(s) URL but was "
                + ShownUrl.of(url));
      }
      try (Response response =
          client.newCall(new Request.Builder().url(parsed).build()).execute()) {
        if (!response.isSuccessful()) {
          // named without user info and query, which may hold a credential (a signed link)
          HttpUrl shown = parsed.newBuilder().username("").password("").query(null).build();
          throw new IOException(
              "fetching the OpenAPI document " + shown + " answered HTTP " + response.code());
        }
        return document(response.body().string());
      }
    }

    /**
     * The URL the operations' paths are appended to ({@code https://api.example.com/v1}); by
     * default the document's first server, which must then be absolute.
     */
    public Builder baseUrl(String baseUrl) {
      this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
      OpenApiTools.baseUrl(baseUrl, null);
      return this;
    }

    /**
     * Sends this header with every call (the API's credential); replaces an earlier value of the
     * same name, in any case. Values are never logged nor put in results.
     */
    public Builder header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    /** Asks {@code supplier} for headers before every call (a short-lived token). */
    public Builder headers(Supplier<Map<String, String>> supplier) {
      headers.supplier(supplier);
      return this;
    }

    /**
     * Whether operations the library cannot call are left out (listed by {@link
     * OpenApiTools#unsupported()}) rather than refused; false by default.
     */
    public Builder skipUnsupported(boolean skip) {
      this.skipUnsupported = skip;
      return this;
    }

    /** The most bytes of an answer a result holds; the rest is cut with a note. */
    public Builder maxResponseBytes(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxResponseBytes must be positive but was " + bytes);
      }
      this.maxResponseBytes = bytes;
      return this;
    }

    /**
     * The tools.
     *
     * @throws IllegalStateException without a document
     * @throws IllegalArgumentException for unsupported operations (unless skipped), no operation at
     *     all, or no usable base URL
     */
    public OpenApiTools build() {
      if (api == null) {
        throw new IllegalStateException("no OpenAPI document: set one with document(..)");
      }
      return new OpenApiTools(this, api);
    }
  }
}
