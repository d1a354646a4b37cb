package dev.aigateway.examples.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * A local OpenAI-compatible server, for demos, tests and load harnesses that must need no external
 * service. It answers like OpenAI and Azure OpenAI, as JSON or as server-sent events, with
 * deterministic lorem-style text and usage counted with jtokkit ({@code o200k_base}), so the
 * numbers a gateway extracts can be checked exactly:
 *
 * <ul>
 *   <li>{@code POST /v1/chat/completions}, {@code /openai/deployments/{d}/chat/completions}
 *   <li>{@code POST /v1/completions}, {@code /openai/deployments/{d}/completions}
 *   <li>{@code POST /v1/embeddings}, {@code /openai/deployments/{d}/embeddings}
 *   <li>{@code POST /v1/responses}, {@code /openai/responses}
 * </ul>
 *
 * <p>Paths under {@code /openai/v1/} (Azure's v1 API) answer as their {@code /v1/} twins. Anything
 * else is a 404, a body that is not a JSON object a 400, both in OpenAI's error shape; so is an
 * embeddings request whose {@code dimensions} is not an integer from 1 to 3072 (the largest OpenAI
 * embedding model's, or the server's {@link Builder#embeddingDimensions} when larger). Streams
 * honour {@code stream_options.include_usage} exactly as OpenAI does. The server binds to {@code
 * 127.0.0.1}, by default on an ephemeral port:
 *
 * <pre>{@code
 * try (LocalOpenAiServer server = LocalOpenAiServer.builder()
 *     .chunkDelay(Duration.ofMillis(20))
 *     .start()) {
 *   Request request = new Request.Builder()
 *       .url(server.url("/v1/chat/completions"))
 *       .post(RequestBody.create(
 *           "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
 *           MediaType.get("application/json")))
 *       .build();
 *   try (Response response = new OkHttpClient().newCall(request).execute()) {
 *     System.out.println(response.body().string()); // a chat.completion, with usage
 *   }
 * }
 * }</pre>
 *
 * <p>Thread-safe and built for loopback load: a fixed pool of handler threads, no lock and no
 * logging on the request path. Usage and answers depend only on the request, never on timing.
 */
public final class LocalOpenAiServer implements AutoCloseable {

  /** The port {@link #main} listens on when given none. */
  public static final int DEFAULT_MAIN_PORT = 8089;

  private static final String AZURE_DEPLOYMENTS = "/openai/deployments/";
  // Without TCP_NODELAY the JDK server's separate header and body writes meet the client's
  // delayed ACK, and every response takes ~40 ms on loopback. Read once, when the first
  // HttpServer is created.
  private static final String NO_DELAY_PROPERTY = "sun.net.httpserver.nodelay";
  private static final int BACKLOG = 1024;

  private final HttpServer server;
  private final ExecutorService executor;
  private final OpenAiEndpoints endpoints;
  private final LongAdder requestCount = new LongAdder();
  private final Queue<ScriptedFailure> failures = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final String baseUrl;

  private LocalOpenAiServer(Settings settings, @Nullable SSLContext tls) throws IOException {
    if (System.getProperty(NO_DELAY_PROPERTY) == null) {
      System.setProperty(NO_DELAY_PROPERTY, "true");
    }
    endpoints = new OpenAiEndpoints(settings);
    executor = handlerPool(settings.threads());
    InetSocketAddress address =
        new InetSocketAddress(InetAddress.getLoopbackAddress(), settings.port());
    if (tls == null) {
      server = HttpServer.create(address, BACKLOG);
    } else {
      HttpsServer https = HttpsServer.create(address, BACKLOG);
      https.setHttpsConfigurator(new HttpsConfigurator(tls));
      server = https;
    }
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
    baseUrl =
        (tls == null ? "http://127.0.0.1:" : "https://localhost:") + server.getAddress().getPort();
  }

  /** A builder with the defaults: ephemeral port, 24-word answers, no delays, usage reported. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts a server on {@code 127.0.0.1} and prints its base URL.
   *
   * @param args an optional port, {@value #DEFAULT_MAIN_PORT} by default
   */
  public static void main(String[] args) {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_MAIN_PORT;
    LocalOpenAiServer server = builder().port(port).start();
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "local-openai-shutdown"));
    System.out.println(
        "Local OpenAI-compatible server at "
            + server.baseUrl()
            + " (POST /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/responses)");
  }

  /** The base URL without a trailing slash, such as {@code http://127.0.0.1:53127}. */
  public String baseUrl() {
    return baseUrl;
  }

  /**
   * The absolute URL of a path on this server.
   *
   * @param path a path starting with {@code /}, such as {@code /v1/chat/completions}
   */
  public String url(String path) {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path must start with '/' but was '" + path + "'");
    }
    return baseUrl + path;
  }

  /** The port the server listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** How many requests the server has received, whatever it answered. */
  public long requestCount() {
    return requestCount.sum();
  }

  /**
   * Makes the next {@code times} requests fail with this status and an OpenAI error body, before
   * any routing, as an overloaded or failing backend would. Failures enqueued by several calls are
   * served in order. For example, two rate limits and then normal answers:
   *
   * <pre>{@code
   * server.enqueueFailure(429, Map.of("Retry-After", "1"), 2);
   * }</pre>
   *
   * @param status an error status, 400 to 599
   * @param headers headers to add to each failed response, such as {@code Retry-After}
   * @param times how many requests fail, at least 1
   */
  public void enqueueFailure(int status, Map<String, String> headers, int times) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status must be 400 to 599 but was " + status);
    }
    if (times < 1) {
      throw new IllegalArgumentException("times must be at least 1 but was " + times);
    }
    failures.add(new ScriptedFailure(status, Map.copyOf(headers), times));
  }

  /**
   * Stops the server at once: open connections are closed and streams still being written end
   * abruptly. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    server.stop(0);
    executor.shutdownNow(); // interrupts handlers pacing a stream
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "LocalOpenAiServer{" + baseUrl + "}";
  }

  // ---- request path: no locks, no logging

  private void handle(HttpExchange exchange) {
    requestCount.increment();
    try {
      respond(exchange);
    } catch (IOException e) {
      // The client went away or the server is closing: nobody is left to answer.
    } catch (RuntimeException e) {
      if (exchange.getResponseCode() == -1) { // nothing sent yet: say so, as OpenAI would
        try {
          OpenAiEndpoints.sendError(
              exchange, 500, "The local server failed: " + e, "server_error", null, null);
        } catch (IOException ignored) {
          // as above
        }
      }
    } finally {
      exchange.close();
    }
  }

  private void respond(HttpExchange exchange) throws IOException {
    ScriptedFailure failure = nextFailure();
    if (failure != null) {
      failure.send(exchange);
      return;
    }

    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getPath();
    Route route = method.equals("POST") ? Route.of(path) : null;
    if (route == null) {
      OpenAiEndpoints.sendError(
          exchange,
          404,
          "Invalid URL (" + method + " " + path + ")",
          "invalid_request_error",
          null,
          "not_found");
      return;
    }

    JsonNode body;
    try {
      body = OpenAiEndpoints.JSON.readTree(exchange.getRequestBody());
    } catch (JacksonException e) {
      body = null;
    }
    if (body == null || !body.isObject()) {
      OpenAiEndpoints.sendError(
          exchange,
          400,
          "We could not parse the JSON body of your request."
              + " The OpenAI API expects a JSON object as payload.",
          "invalid_request_error",
          null,
          null);
      return;
    }

    String model = route.deployment() != null ? route.deployment() : body.path("model").asText();
    if (model.isEmpty()) {
      OpenAiEndpoints.sendError(
          exchange,
          400,
          "You must provide a model parameter.",
          "invalid_request_error",
          null,
          null);
      return;
    }
    switch (route.operation()) {
      case CHAT -> endpoints.chat(exchange, body, model);
      case COMPLETIONS -> endpoints.completions(exchange, body, model);
      case EMBEDDINGS -> endpoints.embeddings(exchange, body, model);
      case RESPONSES -> endpoints.responses(exchange, body, model);
      default -> throw new AssertionError(route);
    }
  }

  private ScriptedFailure nextFailure() {
    for (ScriptedFailure failure; (failure = failures.peek()) != null; ) {
      if (failure.take()) {
        return failure;
      }
      failures.remove(failure); // used up; the next one, if any, is now at the head
    }
    return null;
  }

  private static ExecutorService handlerPool(int threads) {
    AtomicInteger number = new AtomicInteger();
    return new ThreadPoolExecutor(
        threads,
        threads,
        0,
        TimeUnit.MILLISECONDS,
        new LinkedBlockingQueue<>(),
        task -> {
          Thread thread = new Thread(task, "local-openai-" + number.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
  }

  /** The endpoints this server plays. */
  private enum Operation {
    CHAT("/chat/completions"),
    COMPLETIONS("/completions"),
    EMBEDDINGS("/embeddings"),
    RESPONSES("/responses");

    private final String suffix;

    Operation(String suffix) {
      this.suffix = suffix;
    }

    static Operation ofSuffix(String suffix) {
      for (Operation operation : values()) {
        if (operation.suffix.equals(suffix)) {
          return operation;
        }
      }
      return null;
    }
  }

  /** A recognised path: the operation, and the Azure deployment when the path names one. */
  private record Route(Operation operation, String deployment) {

    static Route of(String path) {
      if (path.startsWith(AZURE_DEPLOYMENTS)) {
        int slash = path.indexOf('/', AZURE_DEPLOYMENTS.length());
        if (slash <= AZURE_DEPLOYMENTS.length()) {
          return null;
        }
        Operation operation = Operation.ofSuffix(path.substring(slash));
        return operation == null || operation == Operation.RESPONSES
            ? null
            : new Route(operation, path.substring(AZURE_DEPLOYMENTS.length(), slash));
      }
      if (path.equals("/openai/responses")) {
        return new Route(Operation.RESPONSES, null);
      }
      String openAiPath =
          path.startsWith("/openai/v1/") ? path.substring("/openai".length()) : path;
      if (!openAiPath.startsWith("/v1/")) {
        return null;
      }
      Operation operation = Operation.ofSuffix(openAiPath.substring("/v1".length()));
      return operation == null ? null : new Route(operation, null);
    }
  }

  /** A status the next requests answer with, counted down without a lock. */
  private static final class ScriptedFailure {
    private final int status;
    private final Map<String, String> headers;
    private final AtomicInteger remaining;

    ScriptedFailure(int status, Map<String, String> headers, int times) {
      this.status = status;
      this.headers = headers;
      this.remaining = new AtomicInteger(times);
    }

    boolean take() {
      return remaining.getAndDecrement() > 0;
    }

    void send(HttpExchange exchange) throws IOException {
      headers.forEach(exchange.getResponseHeaders()::set);
      String scripted = " (scripted by LocalOpenAiServer.enqueueFailure)";
      switch (status) {
        case 401 ->
            OpenAiEndpoints.sendError(
                exchange,
                status,
                "Incorrect API key provided." + scripted,
                "invalid_request_error",
                null,
                "invalid_api_key");
        case 404 ->
            OpenAiEndpoints.sendError(
                exchange,
                status,
                "The model does not exist." + scripted,
                "invalid_request_error",
                null,
                "model_not_found");
        case 429 ->
            OpenAiEndpoints.sendError(
                exchange,
                status,
                "Rate limit reached for requests." + scripted,
                "requests",
                null,
                "rate_limit_exceeded");
        case 503 ->
            OpenAiEndpoints.sendError(
                exchange,
                status,
                "The engine is currently" + " overloaded, please try again later." + scripted,
                "server_error",
                null,
                null);
        default -> {
          if (status >= 500) {
            OpenAiEndpoints.sendError(
                exchange,
                status,
                "The server had an error while" + " processing your request." + scripted,
                "server_error",
                null,
                null);
          } else {
            OpenAiEndpoints.sendError(
                exchange,
                status,
                "Request failed with status " + status + "." + scripted,
                "invalid_request_error",
                null,
                null);
          }
        }
      }
    }
  }

  /** What a server is started with; immutable. */
  record Settings(
      int port,
      int threads,
      int completionWords,
      Duration firstChunkDelay,
      Duration chunkDelay,
      Duration responseDelay,
      int embeddingDimensions,
      boolean reportUsage) {}

  /**
   * Configures and starts a {@link LocalOpenAiServer}. Immutable: every setting returns a new
   * builder, so one base builder can start several differently paced servers. Settings are checked
   * at once and a bad value is named in the exception.
   */
  public static final class Builder {

    /** Words in every answer, unless {@code max_tokens} cuts it. */
    public static final int DEFAULT_COMPLETION_WORDS = 24;

    /** Dimensions of an embedding when the request does not ask for {@code dimensions}. */
    public static final int DEFAULT_EMBEDDING_DIMENSIONS = 8;

    /** Handler threads: requests served at once, streams included. */
    public static final int DEFAULT_THREADS = 64;

    private int port;
    private int threads = DEFAULT_THREADS;
    private int completionWords = DEFAULT_COMPLETION_WORDS;
    private Duration firstChunkDelay = Duration.ZERO;
    private Duration chunkDelay = Duration.ZERO;
    private Duration responseDelay = Duration.ZERO;
    private int embeddingDimensions = DEFAULT_EMBEDDING_DIMENSIONS;
    private boolean reportUsage = true;

    private Builder() {}

    /** A copy of this builder with {@code change} applied: the builder itself never changes. */
    private Builder with(Consumer<Builder> change) {
      Builder next = new Builder();
      next.port = port;
      next.threads = threads;
      next.completionWords = completionWords;
      next.firstChunkDelay = firstChunkDelay;
      next.chunkDelay = chunkDelay;
      next.responseDelay = responseDelay;
      next.embeddingDimensions = embeddingDimensions;
      next.reportUsage = reportUsage;
      change.accept(next);
      return next;
    }

    private Settings settings() {
      return new Settings(
          port,
          threads,
          completionWords,
          firstChunkDelay,
          chunkDelay,
          responseDelay,
          embeddingDimensions,
          reportUsage);
    }

    /**
     * The port to listen on.
     *
     * @param port 1 to 65535, or 0 (the default) for an ephemeral port
     */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0 to 65535 but was " + port);
      }
      return with(b -> b.port = port);
    }

    /**
     * Handler threads, so requests served at once; a stream holds its thread while it is paced.
     *
     * @param threads at least 1; {@value #DEFAULT_THREADS} by default
     */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1 but was " + threads);
      }
      return with(b -> b.threads = threads);
    }

    /**
     * Words in every answer; {@code max_tokens}, {@code max_completion_tokens} or {@code
     * max_output_tokens} in a request cut it to that many tokens (finish reason {@code length}, or
     * status {@code incomplete} for Responses).
     *
     * @param words at least 1; {@value #DEFAULT_COMPLETION_WORDS} by default
     */
    public Builder completionWords(int words) {
      if (words < 1) {
        throw new IllegalArgumentException("completionWords must be at least 1 but was " + words);
      }
      return with(b -> b.completionWords = words);
    }

    /**
     * Time to first token of a stream: from its response headers to its first event.
     *
     * @param delay zero (the default) or positive
     */
    public Builder firstChunkDelay(Duration delay) {
      return with(b -> b.firstChunkDelay = checkDelay("firstChunkDelay", delay));
    }

    /**
     * Time between tokens of a stream: before each piece of the answer after the first. A stream of
     * n pieces takes {@code firstChunkDelay + (n - 1) * chunkDelay}.
     *
     * @param delay zero (the default) or positive
     */
    public Builder chunkDelay(Duration delay) {
      return with(b -> b.chunkDelay = checkDelay("chunkDelay", delay));
    }

    /**
     * Time before a JSON (not streamed) answer is sent, embeddings included. Errors are sent at
     * once.
     *
     * @param delay zero (the default) or positive
     */
    public Builder responseDelay(Duration delay) {
      return with(b -> b.responseDelay = checkDelay("responseDelay", delay));
    }

    /**
     * Dimensions of an embedding when the request does not set {@code dimensions}.
     *
     * @param dimensions at least 1; {@value #DEFAULT_EMBEDDING_DIMENSIONS} by default
     */
    public Builder embeddingDimensions(int dimensions) {
      if (dimensions < 1) {
        throw new IllegalArgumentException(
            "embeddingDimensions must be at least 1 but was " + dimensions);
      }
      return with(b -> b.embeddingDimensions = dimensions);
    }

    /**
     * Whether answers carry usage. {@code true} (the default) plays OpenAI: usage in every JSON
     * answer, and in streams when {@code stream_options.include_usage} asks for it. {@code false}
     * plays a backend that reports none: no usage in any answer, whatever the request asks.
     */
    public Builder reportUsage(boolean reportUsage) {
      return with(b -> b.reportUsage = reportUsage);
    }

    /**
     * Starts a server with these settings; it is listening when this returns.
     *
     * @throws UncheckedIOException if the port cannot be bound
     */
    public LocalOpenAiServer start() {
      return start(null);
    }

    /**
     * Starts a server with these settings that speaks HTTPS with {@code tls} (a context holding the
     * server's certificate, for example a self-signed one for {@code localhost}), for clients that
     * only send credentials over TLS, such as the Azure SDK. Its {@link
     * LocalOpenAiServer#baseUrl()} is {@code https://localhost:{port}}.
     *
     * @throws UncheckedIOException if the port cannot be bound
     */
    public LocalOpenAiServer startHttps(SSLContext tls) {
      return start(Objects.requireNonNull(tls, "tls"));
    }

    private LocalOpenAiServer start(@Nullable SSLContext tls) {
      try {
        return new LocalOpenAiServer(settings(), tls);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot start the local OpenAI server on 127.0.0.1:" + port, e);
      }
    }

    private static Duration checkDelay(String name, Duration delay) {
      Objects.requireNonNull(delay, name);
      if (delay.isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative but was " + delay);
      }
      return delay;
    }
  }
}
