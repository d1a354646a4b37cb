package dev.aigateway.okhttp;

import java.io.FilterInputStream;
import java.io.InputStream;
import java.lang.ref.Cleaner;
import java.util.Objects;
import java.util.function.BiConsumer;
import okhttp3.Headers;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * An OkHttp response as an SDK's HTTP seam reads it (openai-java and anthropic-java both ask for a
 * status, headers, a body stream and {@code close}): an SDK adapter's response extends this and
 * implements the SDK's own response interface, adding only the headers in the SDK's type (built
 * with {@link #forEachHeader}). The body streams, never buffered. Not thread-safe, as a response is
 * read by one thread.
 *
 * <p>A response that becomes unreachable before it was closed is closed when the garbage collector
 * finds it, so its governed call still ends (one event, its reservation settled) and its connection
 * is released. An SDK can drop a response unread: the OpenAI and Anthropic SDKs' asynchronous
 * clients build their futures on the HTTP client's, and an application that cancels one of theirs
 * cancels nothing below it, so the response arrives with no one to read or close it. The response
 * stays reachable while its body stream is.
 */
public abstract class SdkResponse {

  private final Response response;

  /**
   * Closes {@link #response} once, on {@link #close} or when this object is collected; null for a
   * governed call's body, which its own source closes when collected ({@link GovernedBody}).
   */
  private final Cleaner.@Nullable Cleanable closer;

  /** Reads {@code response}, which this object then owns (closes). */
  protected SdkResponse(Response response) {
    this.response = Objects.requireNonNull(response, "response");
    this.closer =
        response.body() instanceof GovernedBody ? null : Dropped.closeWhenCollected(this, response);
  }

  /** The HTTP status code. */
  public int statusCode() {
    return response.code();
  }

  /** The body as a stream, read as it arrives; it keeps this response reachable. */
  public InputStream body() {
    return new BodyStream(response.body().byteStream(), this);
  }

  /** Closes the response and its body. */
  public void close() {
    if (closer != null) {
      closer.clean();
    } else {
      response.close();
    }
  }

  /** The body's stream, holding its response so that the response is not closed under a reader. */
  private static final class BodyStream extends FilterInputStream {
    @SuppressWarnings({"unused", "FieldCanBeLocal"}) // a strong reference is its only purpose
    private final SdkResponse owner;

    BodyStream(InputStream in, SdkResponse owner) {
      super(in);
      this.owner = owner;
    }
  }

  /** Gives every header's name and value, in the order received, to {@code sink}. */
  protected final void forEachHeader(BiConsumer<String, String> sink) {
    Headers headers = response.headers();
    for (int i = 0; i < headers.size(); i++) {
      sink.accept(headers.name(i), headers.value(i));
    }
  }
}
