package dev.aigateway.okhttp;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.RequestBody;
import okio.BufferedSink;
import org.jspecify.annotations.Nullable;

/**
 * The OkHttp side of an SDK's HTTP seam, for the library's SDK integrations (openai-java,
 * anthropic-java): both SDKs hand their HTTP client a request with a streamed body and per-request
 * timeouts, each in its own types. This holds what those adapters share: the governed client with
 * {@link SdkRetryAdvice} outside the gateway's interceptor, a client per timeout (a few cached),
 * and request bodies written straight from the SDK's writer. Thread-safe.
 */
public final class SdkCalls {

  private static final int MAX_TIMEOUT_CLIENTS = 16;

  private final OkHttpClient client;
  private final Map<Timeouts, OkHttpClient> clientsByTimeout = new ConcurrentHashMap<>();

  private record Timeouts(Duration connect, Duration read, Duration write, Duration call) {}

  /**
   * Calls over {@code wrappedClient} (normally a client {@link OkHttpAiGateway#wrap} returned),
   * with {@link SdkRetryAdvice} added outside its interceptors, so the advice sees (and advises)
   * the gateway's rejections.
   */
  public SdkCalls(OkHttpClient wrappedClient) {
    OkHttpClient.Builder advised =
        Objects.requireNonNull(wrappedClient, "wrappedClient").newBuilder();
    advised.interceptors().add(0, new SdkRetryAdvice());
    this.client = advised.build();
  }

  /** The advised client, for a request without timeouts of its own. */
  public OkHttpClient client() {
    return client;
  }

  /**
   * The advised client with a request's own timeouts. Clients for up to {@value
   * #MAX_TIMEOUT_CLIENTS} distinct timeouts are kept (they share the pool and dispatcher); more are
   * made per request.
   */
  public OkHttpClient client(Duration connect, Duration read, Duration write, Duration call) {
    Timeouts timeouts = new Timeouts(connect, read, write, call);
    OkHttpClient existing = clientsByTimeout.get(timeouts);
    if (existing != null) {
      return existing;
    }
    OkHttpClient withTimeouts =
        client
            .newBuilder()
            .connectTimeout(connect)
            .readTimeout(read)
            .writeTimeout(write)
            .callTimeout(call)
            .build();
    if (clientsByTimeout.size() < MAX_TIMEOUT_CLIENTS) {
      clientsByTimeout.putIfAbsent(timeouts, withTimeouts);
    }
    return withTimeouts;
  }

  /** Writes an SDK request body to a stream. */
  @FunctionalInterface
  public interface BodyWriter {
    /** Writes the whole body. */
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * An SDK request body as OkHttp writes it: streamed from {@code writer}, never copied.
   *
   * @param contentType the body's content type, or null
   * @param length its length, or -1 when unknown
   * @param repeatable whether it can be written more than once (else OkHttp does not retry it)
   */
  public static RequestBody body(
      @Nullable String contentType, long length, boolean repeatable, BodyWriter writer) {
    MediaType type = contentType == null ? null : MediaType.parse(contentType);
    return new RequestBody() {
      @Override
      public @Nullable MediaType contentType() {
        return type;
      }

      @Override
      public long contentLength() {
        return length;
      }

      @Override
      public boolean isOneShot() {
        return !repeatable;
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        writer.writeTo(sink.outputStream());
      }
    };
  }

  /**
   * The body to send when the SDK gives none: empty on methods OkHttp requires one for ({@code
   * POST}, {@code PUT}, {@code PATCH}; the SDK sends none on, for example, a cancel), else none.
   */
  public static @Nullable RequestBody emptyBodyFor(String method) {
    return switch (method) {
      case "POST", "PUT", "PATCH" -> RequestBody.create(new byte[0], null);
      default -> null;
    };
  }
}
