package dev.aigateway.mcp;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * A URL as refusals name it: scheme, host, port and path, without the user info, query and
 * fragment, where a credential may be (basic auth, an API key, a signed link's signature).
 */
final class ShownUrl {

  private ShownUrl() {}

  /** {@code url} without its user info, query and fragment; a text that is no URL, unquoted. */
  static String of(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return "a text that is not a URL (not quoted: it may hold a credential; a reserved character"
          + " may need percent-encoding)";
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme() + ":";
    if (uri.isOpaque()) {
      return scheme + "…";
    }
    String authority = uri.getRawAuthority();
    String hostAndPort =
        authority == null ? "" : "//" + authority.substring(authority.lastIndexOf('@') + 1);
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    return scheme + hostAndPort + path;
  }
}
