package dev.aigateway.core.wire;

import java.net.URI;

/**
 * The raw path of a URL, as {@link URI#getRawPath()} gives it, read from the URL's characters in
 * one pass for the URLs a client sends ({@code scheme://host[:port]/path[?query][#fragment]} of
 * legal ASCII characters), and by {@link URI} for every other string (IPv6 hosts, user info,
 * non-ASCII characters, URLs without an authority, strings that are not URIs).
 */
final class RawPath {

  /** Marks each ASCII character that may stand in a path, query or fragment as it is. */
  private static final boolean[] LEGAL = new boolean[128];

  /** Marks each ASCII character the one-pass read accepts in a host and port. */
  private static final boolean[] HOST = new boolean[128];

  static {
    String alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (char c : (alphanumeric + "-._~!$&'()*+,;=:@/?").toCharArray()) {
      LEGAL[c] = true;
    }
    for (char c : (alphanumeric + "-.:").toCharArray()) {
      HOST[c] = true;
    }
  }

  private RawPath() {}

  /** The raw path of {@code url}; empty when it is null, has no path, or is not a URI. */
  static String of(String url) {
    if (url == null) {
      return "";
    }
    int length = url.length();
    int at = schemeEnd(url);
    if (at < 0 || at + 2 >= length || url.charAt(at + 1) != '/' || url.charAt(at + 2) != '/') {
      return parsed(url);
    }
    at += 3;
    int hostFrom = at;
    while (at < length && !isDelimiter(url.charAt(at))) {
      char c = url.charAt(at);
      if (c >= 128 || !HOST[c]) {
        return parsed(url);
      }
      at++;
    }
    if (at == hostFrom) {
      return parsed(url);
    }
    int pathFrom = at;
    int pathTo = -1;
    boolean inFragment = false;
    while (at < length) {
      char c = url.charAt(at);
      if (c == '%') {
        if (at + 2 >= length || !isHex(url.charAt(at + 1)) || !isHex(url.charAt(at + 2))) {
          return parsed(url);
        }
        at += 3;
        continue;
      }
      if (c == '#') {
        if (inFragment) {
          return parsed(url);
        }
        inFragment = true;
      } else if (c >= 128 || !LEGAL[c]) {
        return parsed(url);
      }
      if (pathTo < 0 && (c == '?' || c == '#')) {
        pathTo = at;
      }
      at++;
    }
    return url.substring(pathFrom, pathTo < 0 ? length : pathTo);
  }

  /** The index of the ':' ending a URL's scheme ({@code ALPHA *(ALPHA / DIGIT / "+-.")}), or -1. */
  private static int schemeEnd(String url) {
    int length = url.length();
    if (length == 0 || !isAlpha(url.charAt(0))) {
      return -1;
    }
    for (int i = 1; i < length; i++) {
      char c = url.charAt(i);
      if (c == ':') {
        return i;
      }
      if (!isAlpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') {
        return -1;
      }
    }
    return -1;
  }

  private static boolean isDelimiter(char c) {
    return c == '/' || c == '?' || c == '#';
  }

  private static boolean isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  /** The raw path as {@link URI} reads it: empty when it has none or cannot parse the string. */
  private static String parsed(String url) {
    try {
      String path = URI.create(url).getRawPath();
      return path == null ? "" : path;
    } catch (IllegalArgumentException e) {
      return "";
    }
  }
}
