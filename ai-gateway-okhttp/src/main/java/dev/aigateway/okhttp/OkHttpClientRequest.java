package dev.aigateway.okhttp;

import dev.aigateway.core.adapter.ClientRequest;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/** An OkHttp request with its body already read, as the gateway's core sees it. */
final class OkHttpClientRequest implements ClientRequest {

  private final Request request;
  private final byte[] body;

  OkHttpClientRequest(Request request, byte[] body) {
    this.request = request;
    this.body = body;
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
    return request.url().encodedPath();
  }
}
