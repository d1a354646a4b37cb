package dev.aigateway.core.agent;

import dev.aigateway.core.wire.SafeUrls;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** A normalised HTTP endpoint (scheme, host, port, path) that requests are matched against. */
record Endpoint(String scheme, String host, int port, String path) {

  /**
   * Parses and normalises a configured URL; refuses anything but an absolute http(s) URL. A refusal
   * names the URL without its user info, query and fragment, where a secret may be.
   */
  static Endpoint parse(String url, String what) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (Exception e) {
      // Not quoted: what of it is user info or query is not known.
      throw new IllegalArgumentException(
          what + " URL is not a URL (a reserved character may need percent-encoding)");
    }
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw new IllegalArgumentException(
          what + " URL must be an absolute http or https URL but was '" + shown(uri) + "'");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException(what + " URL has no host: '" + shown(uri) + "'");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException(
          what + " URL must have no query or fragment but was '" + shown(uri) + "' with one");
    }
    return of(scheme, uri.getHost(), uri.getPort(), uri.getRawPath());
  }

  /** A URL without its user info, query and fragment. */
  private static String shown(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme() + ":";
    String authority = uri.getRawAuthority();
    String hostAndPort =
        authority == null ? "" : "//" + authority.substring(authority.lastIndexOf('@') + 1);
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    return scheme + hostAndPort + path;
  }

  /** The endpoint of a request's URL parts (port -1: the scheme's default). */
  static Endpoint of(String scheme, String host, int port, @Nullable String encodedPath) {
    String s = scheme.toLowerCase(Locale.ROOT);
    int p = port >= 0 ? port : "https".equals(s) ? 443 : 80;
    return new Endpoint(s, host(host), p, normalisedPath(encodedPath));
  }

  /**
   * A host as endpoints are matched by, whoever spelled it: in lower case; a name without the
   * trailing dot of its absolute form ({@code mcp.example.com.} reaches {@code mcp.example.com});
   * an IPv6 literal without brackets, in its canonical text (RFC 5952, as OkHttp gives a request's
   * host: {@code [0:0:0:0:0:0:0:1]} is {@code ::1}), an IPv4-mapped one as its IPv4 address.
   */
  static String host(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.indexOf(':') >= 0) {
      return ipv6(h);
    }
    return h.length() > 1 && h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  private static String ipv6(String host) {
    String literal =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (literal.indexOf('%') >= 0) {
      return literal; // with a zone: left as written
    }
    InetAddress address;
    try {
      // In brackets, only a literal is read: never a name lookup.
      address = InetAddress.getByName("[" + literal + "]");
    } catch (UnknownHostException e) {
      return literal;
    }
    if (address instanceof Inet4Address) {
      return address.getHostAddress();
    }
    byte[] bytes = address.getAddress();
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
    }
    // The longest run of two or more zero groups (the first of equal runs) becomes "::".
    int runStart = -1;
    int runLength = 0;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > runLength && j - i >= 2) {
        runStart = i;
        runLength = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder out = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == runStart) {
        out.append("::");
        i += runLength - 1;
        continue;
      }
      if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(groups[i]));
    }
    return out.toString();
  }

  /** The same origin with another path. */
  Endpoint withPath(String otherPath) {
    return new Endpoint(scheme, host, port, normalisedPath(otherPath));
  }

  /**
   * The path as servers match it: percent-encoded unreserved characters decoded and other escapes
   * in upper case (RFC 3986 6.2.2), {@code ;parameters} dropped from each segment (as servlet
   * containers do), runs of slashes merged and a trailing slash dropped.
   */
  private static String normalisedPath(@Nullable String path) {
    if (path == null || path.isEmpty()) {
      return "/";
    }
    // non-ASCII characters as they go on the wire and as OkHttp gives a request's encoded path: a
    // configured path may write them out (/werkzeuge/größe), which URI leaves so in its raw path
    path = SafeUrls.percentEncodeNonAscii(path);
    if (path.indexOf('%') >= 0) {
      path = decodeUnreserved(path);
    }
    if (path.indexOf(';') >= 0) {
      path = path.replaceAll(";[^/]*", "");
      if (path.isEmpty()) {
        return "/";
      }
    }
    if (path.contains("//")) {
      path = path.replaceAll("/{2,}", "/"); // servers (Tomcat, nginx) merge them: the same path
    }
    return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  private static String decodeUnreserved(String path) {
    StringBuilder out = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      int high = i + 2 < path.length() ? hex(path.charAt(i + 1)) : -1;
      int low = high >= 0 ? hex(path.charAt(i + 2)) : -1;
      if (c != '%' || low < 0) {
        out.append(c);
        continue;
      }
      char decoded = (char) (high * 16 + low);
      if ((decoded >= 'a' && decoded <= 'z')
          || (decoded >= 'A' && decoded <= 'Z')
          || (decoded >= '0' && decoded <= '9')
          || decoded == '-'
          || decoded == '.'
          || decoded == '_'
          || decoded == '~') {
        out.append(decoded);
      } else {
        out.append('%').append(path.substring(i + 1, i + 3).toUpperCase(Locale.ROOT));
      }
      i += 2;
    }
    return out.toString();
  }

  private static int hex(char c) {
    return c < 128 ? Character.digit(c, 16) : -1;
  }

  @Override
  public String toString() {
    return scheme + "://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port + path;
  }
}
