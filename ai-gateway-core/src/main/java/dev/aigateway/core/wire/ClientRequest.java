package dev.aigateway.core.wire;

import java.util.List;

/**
 * The request of one matched call, as an HTTP client adapter hands it to {@link
 * dev.aigateway.core.AiGateway#begin(dev.aigateway.api.CallMatch, ClientRequest)}. Adapters
 * implement it over their client's request type; applications never need to. It lives with the wire
 * formats, which read it (recognition, the request's fields, the path), so that {@code core.wire}
 * depends on no package of the gateway's pipeline or adapter protocol.
 */
public interface ClientRequest {

  /** The HTTP method, upper case. */
  String method();

  /** The full URL. */
  String url();

  /** The first value of a header (case-insensitive name), or null. */
  String header(String name);

  /**
   * Every value of a header (case-insensitive name), in the order the request gives them; empty
   * when it has none. A header sent on several lines means what its values joined by commas mean.
   * The default gives the {@linkplain #header first value} only; adapters whose client keeps every
   * line give them all.
   */
  default List<String> headers(String name) {
    String value = header(name);
    return value == null ? List.of() : List.of(value);
  }

  /** A tag attached to the request, or null. */
  <T> T tag(Class<? extends T> type);

  /** The request body's bytes; empty when there is none. Never null. */
  byte[] body();

  /**
   * The host of {@link #url()}, or null when it has none. The default parses the URL; an adapter
   * whose client holds the URL parsed already answers from that (this is read once per call).
   */
  default String host() {
    java.net.URI uri = parsedUrl(url());
    return uri == null ? null : uri.getHost();
  }

  /**
   * The port of {@link #url()}: the explicit one, else the scheme's default (443 for https, 80
   * otherwise); 0 when the URL cannot be parsed. The default parses the URL, like {@link #host()}.
   */
  default int port() {
    java.net.URI uri = parsedUrl(url());
    if (uri == null) {
      return 0;
    }
    return uri.getPort() > 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
  }

  /**
   * The raw (still percent-encoded) path of {@link #url()}, or an empty string when it has none or
   * cannot be parsed. The default reads it from the URL's characters in one pass when the URL is a
   * plain {@code scheme://host[:port]/path[?query][#fragment]} of legal characters (formats ask for
   * the path more than once a call), and parses the URL otherwise, like {@link #host()}: both give
   * what {@link java.net.URI#getRawPath()} gives.
   */
  default String encodedPath() {
    return RawPath.of(url());
  }

  private static java.net.URI parsedUrl(String url) {
    try {
      return url == null ? null : java.net.URI.create(url);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
