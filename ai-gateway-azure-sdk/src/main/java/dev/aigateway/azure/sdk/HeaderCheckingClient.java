package dev.aigateway.azure.sdk;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeader;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.Context;
import dev.aigateway.core.wire.HeaderValues;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * An azure-core HTTP client that checks every header value before the OkHttp client it delegates to
 * sees it. OkHttp refuses a value with a character a header may not hold (a key read from a file
 * with its line break) and quotes the value in its error, unless the header is one it knows to be
 * secret ({@code Authorization}, not Azure's {@code api-key}); azure-core hands that error to the
 * application, which may log it. Here such a request fails first with an {@link
 * UnsendableHeaderException} that names the header and never the value, and is not sent.
 */
final class HeaderCheckingClient implements HttpClient {

  private final HttpClient delegate;

  HeaderCheckingClient(HttpClient delegate) {
    this.delegate = delegate;
  }

  @Override
  public Mono<HttpResponse> send(HttpRequest request) {
    UnsendableHeaderException unsendable = check(request);
    return unsendable != null ? Mono.error(unsendable) : delegate.send(request);
  }

  @Override
  public Mono<HttpResponse> send(HttpRequest request, Context context) {
    UnsendableHeaderException unsendable = check(request);
    return unsendable != null ? Mono.error(unsendable) : delegate.send(request, context);
  }

  @Override
  public HttpResponse sendSync(HttpRequest request, Context context) {
    UnsendableHeaderException unsendable = check(request);
    if (unsendable != null) {
      throw unsendable;
    }
    return delegate.sendSync(request, context);
  }

  /** The failure for the first header value a header cannot carry, or null when all can. */
  private static @Nullable UnsendableHeaderException check(HttpRequest request) {
    for (HttpHeader header : request.getHeaders()) {
      for (String value : header.getValuesList()) {
        try {
          HeaderValues.require("the value", header.getName(), value);
        } catch (IllegalArgumentException e) {
          return new UnsendableHeaderException(e.getMessage());
        }
      }
    }
    return null;
  }

  /**
   * A request not sent because a header's value holds a character a header cannot carry; the
   * message names the header, never the value. No retry can send it, so the gateway's retry policy
   * does not retry it.
   */
  static final class UnsendableHeaderException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UnsendableHeaderException(String message) {
      super(message);
    }
  }
}
