package dev.aigateway.okhttp;

import java.io.InputStream;
import java.util.Objects;
import java.util.function.BiConsumer;
import okhttp3.Headers;
import okhttp3.Response;

/**
 * An OkHttp response as an SDK's HTTP seam reads it (openai-java and anthropic-java both ask for a
 * status, headers, a body stream and {@code close}): an SDK adapter's response extends this and
 * implements the SDK's own response interface, adding only the headers in the SDK's type (built
 * with {@link #forEachHeader}). The body streams, never buffered. Not thread-safe, as a response is
 * read by one thread.
 */
public abstract class SdkResponse {

  private final Response response;

  /** Reads {@code response}, which this object then owns (closes). */
  protected SdkResponse(Response response) {
    this.response = Objects.requireNonNull(response, "response");
  }

  /** The HTTP status code. */
  public int statusCode() {
    return response.code();
  }

  /** The body as a stream, read as it arrives. */
  public InputStream body() {
    return response.body().byteStream();
  }

  /** Closes the response and its body. */
  public void close() {
    response.close();
  }

  /** Gives every header's name and value, in the order received, to {@code sink}. */
  protected final void forEachHeader(BiConsumer<String, String> sink) {
    Headers headers = response.headers();
    for (int i = 0; i < headers.size(); i++) {
      sink.accept(headers.name(i), headers.value(i));
    }
  }
}
