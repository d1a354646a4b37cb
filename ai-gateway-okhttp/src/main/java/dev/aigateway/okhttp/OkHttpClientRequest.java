package dev.aigateway.okhttp;

import dev.aigateway.core.adapter.ClientRequest;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/** An OkHttp request with its body already read, as the gateway's core sees it. */
final class OkHttpClientRequest implements ClientRequest {

  private final Request request;
  private final byte[] body;

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

  @Override
  public String method() {
    return request.method();
  }

  @Override
  public String url() {
    return request.url().toString();
  }

  @Override
  public @Nullable String header(String name) {
    return request.header(name);
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
