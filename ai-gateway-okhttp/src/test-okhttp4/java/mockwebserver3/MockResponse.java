package mockwebserver3;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import okhttp3.Headers;
import okhttp3.mockwebserver.SocketPolicy;
import okio.Buffer;

/** OkHttp 5's immutable {@code MockResponse} and its builder, over OkHttp 4.12's. */
public final class MockResponse {

  private final Consumer<okhttp3.mockwebserver.MockResponse> settings;

  private MockResponse(Consumer<okhttp3.mockwebserver.MockResponse> settings) {
    this.settings = settings;
  }

  /** The body as OkHttp 5's response gives it, or null when none was set. */
  public MockResponseBody getBody() {
    Buffer body = toOkHttp4().getBody();
    if (body == null) {
      return null;
    }
    return new MockResponseBody() {
      @Override
      public long getContentLength() {
        return body.size();
      }

      @Override
      public void writeTo(okio.BufferedSink sink) throws java.io.IOException {
        Buffer copy = body.clone();
        sink.write(copy, copy.size());
      }
    };
  }

  /** A builder that starts from this response's settings. */
  public Builder newBuilder() {
    return new Builder(this);
  }

  /** A new OkHttp 4.12 response with these settings (a fresh one each time: bodies are read). */
  okhttp3.mockwebserver.MockResponse toOkHttp4() {
    okhttp3.mockwebserver.MockResponse response = new okhttp3.mockwebserver.MockResponse();
    settings.accept(response);
    return response;
  }

  /** Builds a {@link MockResponse}; the settings apply in the order they were made. */
  public static final class Builder {
    private Consumer<okhttp3.mockwebserver.MockResponse> settings;

    public Builder() {
      settings = r -> r.setResponseCode(200);
    }

    public Builder(MockResponse response) {
      settings = response.settings;
    }

    private Builder then(Consumer<okhttp3.mockwebserver.MockResponse> setting) {
      settings = settings.andThen(setting);
      return this;
    }

    public Builder code(int code) {
      return then(r -> r.setResponseCode(code));
    }

    public Builder status(String status) {
      return then(r -> r.setStatus(status));
    }

    public Builder addHeader(String name, Object value) {
      return then(r -> r.addHeader(name, value));
    }

    public Builder setHeader(String name, Object value) {
      return then(r -> r.setHeader(name, value));
    }

    public Builder removeHeader(String name) {
      return then(r -> r.removeHeader(name));
    }

    public Builder headers(Headers headers) {
      return then(r -> r.setHeaders(headers));
    }

    public Builder body(String body) {
      return then(r -> r.setBody(body));
    }

    public Builder body(Buffer body) {
      Buffer copy = body.clone();
      return then(r -> r.setBody(copy.clone()));
    }

    public Builder body(MockResponseBody body) {
      throw new UnsupportedOperationException(
          "OkHttp 4.12's MockWebServer writes no body from a callback; run this test on OkHttp 5");
    }

    public Builder throttleBody(long bytesPerPeriod, long period, TimeUnit unit) {
      return then(r -> r.throttleBody(bytesPerPeriod, period, unit));
    }

    public Builder headersDelay(long delay, TimeUnit unit) {
      return then(r -> r.setHeadersDelay(delay, unit));
    }

    public Builder bodyDelay(long delay, TimeUnit unit) {
      return then(r -> r.setBodyDelay(delay, unit));
    }

    public Builder onResponseStart(SocketEffect effect) {
      if (!(effect instanceof SocketEffect.CloseSocket)) {
        throw new IllegalArgumentException("unsupported socket effect: " + effect);
      }
      return then(r -> r.setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST));
    }

    public Builder onResponseBody(SocketEffect effect) {
      if (!(effect instanceof SocketEffect.CloseSocket)) {
        throw new IllegalArgumentException("unsupported socket effect: " + effect);
      }
      return then(r -> r.setSocketPolicy(SocketPolicy.DISCONNECT_DURING_RESPONSE_BODY));
    }

    public MockResponse build() {
      return new MockResponse(settings);
    }
  }
}
