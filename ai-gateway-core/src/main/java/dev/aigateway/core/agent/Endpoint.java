package dev.aigateway.core.agent;

import java.net.URI;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** A normalised HTTP endpoint (scheme, host, port, path) that requests are matched against. */
record Endpoint(String scheme, String host, int port, String path) {

  /** Parses and normalises a configured URL; refuses anything but an absolute http(s) URL. */
  static Endpoint parse(String url, String what) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (Exception e) {
      throw new IllegalArgumentException(what + " URL is not a URL: '" + url + "'");
    }
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw new IllegalArgumentException(
          what + " URL must be an absolute http or https URL but was '" + url + "'");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException(what + " URL has no host: '" + url + "'");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException(
          what + " URL must have no query or fragment but was '" + url + "'");
    }
    return of(scheme, uri.getHost(), uri.getPort(), uri.getRawPath());
  }

  /** The endpoint of a request's URL parts (port -1: the scheme's default). */
  static Endpoint of(String scheme, String host, int port, @Nullable String encodedPath) {
    String s = scheme.toLowerCase(Locale.ROOT);
    int p = port >= 0 ? port : "https".equals(s) ? 443 : 80;
    return new Endpoint(s, host.toLowerCase(Locale.ROOT), p, normalisedPath(encodedPath));
  }

  /** The same origin with another path. */
  Endpoint withPath(String otherPath) {
    return new Endpoint(scheme, host, port, normalisedPath(otherPath));
  }

  private static String normalisedPath(@Nullable String path) {
    if (path == null || path.isEmpty()) {
      return "/";
    }
    if (path.contains("//")) {
      path = path.replaceAll("/{2,}", "/"); // servers (Tomcat, nginx) merge them: the same path
    }
    return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  @Override
  public String toString() {
    return scheme + "://" + host + ":" + port + path;
  }
}
