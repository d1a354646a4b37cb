package dev.aigateway.okhttp;

import dev.aigateway.core.wire.ClientRequest;
import java.util.List;
import java.util.function.Function;
import okhttp3.Headers;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * An OkHttp request with its body already read, as the gateway's core sees it. It is also the
 * request's headers by name, which the gateway's match reads before the body is read: one object
 * per call serves both.
 */
final class OkHttpClientRequest implements ClientRequest, Function<String, @Nullable String> {

  private static final byte[] NO_BODY = new byte[0];

  private final Request request;
  private byte[] body;

  /** The URL's encoded path, which OkHttp builds anew on every ask: asked for once. */
  private final String encodedPath;

  OkHttpClientRequest(Request request, byte[] body) {
    this(request, body, request.url().encodedPath());
  }

  /** A request whose URL's encoded path the caller has at hand already. */
  OkHttpClientRequest(Request request, byte[] body, String encodedPath) {
    this.request = request;
    this.body = body;
    this.encodedPath = encodedPath;
  }

  /**
   * A request whose body is not read yet: its headers can be asked for ({@link #apply}), and {@link
   * #body(byte[])} gives its bytes once read (until then it has none).
   */
  OkHttpClientRequest(Request request, String encodedPath) {
    this(request, NO_BODY, encodedPath);
  }

  /** The request's body, read: what {@link #body()} returns from now on. */
  void body(byte[] read) {
    this.body = read;
  }

  /** The request's header {@code name} (case-insensitive), null when absent. */
  @Override
  public @Nullable String apply(String name) {
    return request.header(name);
  }

  @Override
  public String method() {
    return request.method();
  }

  @Override
  public String url() {
    return request.url().toString();
  }

  /** The first value, as the interface says (OkHttp's {@code Request.header} gives the last). */
  @Override
  public @Nullable String header(String name) {
    Headers headers = request.headers();
    for (int i = 0, size = headers.size(); i < size; i++) {
      if (headers.name(i).equalsIgnoreCase(name)) {
        return headers.value(i);
      }
    }
    return null;
  }

  @Override
  public List<String> headers(String name) {
    return request.headers().values(name);
  }

  @Override
  public <T> @Nullable T tag(Class<? extends T> type) {
    return request.tag(type);
  }

  @Override
  public byte[] body() {
    return body;
  }

  @Override
  public String host() {
    return request.url().host();
  }

  @Override
  public int port() {
    return request.url().port();
  }

  @Override
  public String encodedPath() {
    return encodedPath;
  }
}
