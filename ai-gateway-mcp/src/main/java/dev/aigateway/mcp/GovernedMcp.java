package dev.aigateway.mcp;

import dev.aigateway.okhttp.OkHttpAiGateway;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * MCP Streamable HTTP client transports whose every request goes through an OkHttp client, normally
 * the one {@code OkHttpAiGateway.wrap} returned, so the gateway sees the MCP Java SDK's traffic
 * like any other call made through it.
 *
 * <pre>{@code
 * OkHttpClient governed = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
 * McpSyncClient client =
 *     McpClient.sync(GovernedMcp.transport(governed, "http://localhost:8931/mcp")).build();
 * client.initialize();
 * client.callTool(new CallToolRequest("add", Map.of("a", 1, "b", 2)));
 * }</pre>
 *
 * <p>The transport returned is the SDK's own {@link HttpClientStreamableHttpTransport}, given a
 * {@link java.net.http.HttpClient} whose exchanges are OkHttp calls. So the protocol is exactly the
 * SDK's: {@code Accept: application/json, text/event-stream}, the {@code Mcp-Session-Id} it is
 * given and sends back, {@code MCP-Protocol-Version}, answers as JSON or as an event stream read as
 * events arrive, the GET listening stream once a session exists, stream resumption with {@code
 * Last-Event-ID}, a new session after a 404, the DELETE on close, and its errors ({@code McpError}
 * for a JSON-RPC error, {@code McpTransportException} and friends for HTTP failures).
 *
 * <p>One difference, on purpose: when the gateway refuses a request (an HTTP error with its {@code
 * x-ai-gateway-rejected} header, or its {@code GatewayRejectedException}), the request fails with
 * an {@code McpError} whose message is the gateway's (reason, status and wait in its data), where
 * the SDK would report only the status. {@link Builder#rejectionsAsJsonRpcErrors(boolean)} turns
 * that off.
 */
public final class GovernedMcp {

  private GovernedMcp() {}

  /**
   * A transport to the MCP endpoint at {@code url} (for example {@code
   * "http://localhost:8931/mcp"}) over {@code client}, with the defaults of {@link Builder}.
   */
  public static HttpClientStreamableHttpTransport transport(OkHttpClient client, String url) {
    return builder(client, url).build();
  }

  /** A builder of a transport to the MCP endpoint at {@code url} over {@code client}. */
  public static Builder builder(OkHttpClient client, String url) {
    return new Builder(client, url);
  }

  /**
   * Configures one transport. Not thread-safe; the transport it builds is (as the SDK's is).
   * Timeouts default to none past the connect timeout, as the JDK client's do: an MCP event stream
   * may stay quiet for long.
   */
  public static final class Builder {
    private final OkHttpClient client;
    private final URI url;
    private final ExtraHeaders headers = new ExtraHeaders();
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration readTimeout = Duration.ZERO;
    private @Nullable Duration requestTimeout;
    private boolean rejectionsAsJsonRpcErrors = true;
    private @Nullable Consumer<HttpClientStreamableHttpTransport.Builder> sdkOptions;

    private Builder(OkHttpClient client, String url) {
      this.client = Objects.requireNonNull(client, "client");
      Objects.requireNonNull(url, "url");
      URI parsed;
      try {
        parsed = URI.create(url);
      } catch (IllegalArgumentException e) {
        // Neither the URL nor the parser's message (which quotes it) is shown: either may hold a
        // credential.
        throw new IllegalArgumentException("the MCP endpoint is " + ShownUrl.of(url));
      }
      if (!"http".equalsIgnoreCase(parsed.getScheme())
          && !"https".equalsIgnoreCase(parsed.getScheme())) {
        throw new IllegalArgumentException(
            "the MCP endpoint must be an http(s) URL but was " + ShownUrl.of(url));
      }
      if (parsed.getHost() == null) {
        throw new IllegalArgumentException("the MCP endpoint has no host: " + ShownUrl.of(url));
      }
      this.url = parsed;
    }

    /**
     * Sends this header with every request (an API key, a consumer id the gateway resolves);
     * replaces an earlier value of the same name, in any case. Values are never logged.
     */
    public Builder header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    /**
     * Asks {@code supplier} for headers before every request (a short-lived bearer token); they
     * replace fixed {@link #header headers} of the same name. A supplier that throws fails that
     * request with an {@code IOException}.
     */
    public Builder headers(Supplier<Map<String, String>> supplier) {
      headers.supplier(supplier);
      return this;
    }

    /** The connect timeout of every request; 10 s by default, as the SDK's transport has it. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * The longest silence while reading a response (OkHttp's read timeout); zero (the default)
     * waits for ever, which an idle event stream needs.
     */
    public Builder readTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "readTimeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("readTimeout must not be negative but was " + timeout);
      }
      this.readTimeout = timeout;
      return this;
    }

    /**
     * How long a request may wait for its response headers before it fails with {@link
     * java.net.http.HttpTimeoutException}; none by default. An event stream, once its headers came,
     * is not limited by it.
     */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    /**
     * Whether a gateway refusal of a request becomes that request's JSON-RPC error (an {@code
     * McpError} carrying the gateway's message); true by default. Off, the SDK sees the refusal as
     * the HTTP error it is.
     */
    public Builder rejectionsAsJsonRpcErrors(boolean enabled) {
      this.rejectionsAsJsonRpcErrors = enabled;
      return this;
    }

    /**
     * Sets the SDK transport's own options (resumable streams, opening the event stream on startup,
     * protocol versions, request customizers, an authorization error handler, the JSON mapper, the
     * largest message). Its HTTP client is this module's: {@code clientBuilder} must not be
     * replaced, and {@code customizeClient} refuses what belongs to the OkHttp client.
     */
    public Builder sdkOptions(Consumer<HttpClientStreamableHttpTransport.Builder> options) {
      this.sdkOptions = Objects.requireNonNull(options, "options");
      return this;
    }

    /** The SDK's transport, sending over the OkHttp client. */
    public HttpClientStreamableHttpTransport build() {
      OkHttpClient.Builder okhttp = client.newBuilder().readTimeout(readTimeout);
      ExtraHeaders extra = headers.copy();
      if (!extra.isEmpty()) {
        // Outermost, so the gateway's interceptor sees the headers (a consumer id, a credential).
        okhttp.interceptors().add(0, headerInterceptor(extra));
        // A redirect to another origin goes without them (they are the server's credential).
        OkHttpAiGateway.withRedirectGuard(okhttp);
      }
      OkHttpBackedHttpClient.Builder httpClient =
          new OkHttpBackedHttpClient.Builder(
              okhttp.build(), new GatewayRejections(rejectionsAsJsonRpcErrors));
      HttpRequest.Builder requests = HttpRequest.newBuilder();
      if (requestTimeout != null) {
        requests.timeout(requestTimeout);
      }
      String endpoint = url.toString();
      HttpClientStreamableHttpTransport.Builder sdk =
          HttpClientStreamableHttpTransport.builder(endpoint)
              .endpoint(endpoint)
              .clientBuilder(httpClient)
              .connectTimeout(connectTimeout)
              .requestBuilder(requests);
      if (sdkOptions != null) {
        sdkOptions.accept(sdk);
      }
      return sdk.clientBuilder(httpClient).build();
    }

    private static Interceptor headerInterceptor(ExtraHeaders extra) {
      return chain -> {
        Request.Builder request = chain.request().newBuilder();
        extra.addTo(request, chain.request().url(), "the MCP transport");
        return chain.proceed(request.build());
      };
    }

    private static Duration positive(Duration timeout, String name) {
      Objects.requireNonNull(timeout, name);
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException(name + " must be positive but was " + timeout);
      }
      return timeout;
    }
  }
}
