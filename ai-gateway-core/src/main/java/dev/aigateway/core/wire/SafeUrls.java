package dev.aigateway.core.wire;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * URLs as the gateway shows them in messages, inventories and {@code toString()}s, and as it
 * compares their paths with what goes on the wire.
 */
public final class SafeUrls {

  private static final char[] HEX_UPPER = "0123456789ABCDEF".toCharArray();

  private SafeUrls() {}

  /**
   * A Gemini or Vertex AI model that names its collection ({@code tunedModels/x}, {@code
   * endpoints/42}) as the path to call it at under the base, each segment percent-encoded; null
   * when a segment is empty, {@code .} or {@code ..} (the model is then one segment under {@code
   * models/}, its slashes encoded): a model decoded from the application's path ({@code
   * models/x%2F..%2F..%2FtunedModels%2Fy}) never leads the call out of its collection, nor out of a
   * Vertex AI backend's project.
   */
  public static @org.jspecify.annotations.Nullable String modelPath(String model) {
    StringBuilder path = new StringBuilder(model.length() + 8);
    int from = 0;
    while (true) {
      int slash = model.indexOf('/', from);
      int end = slash < 0 ? model.length() : slash;
      if (end == from
          || end - from == 1 && model.charAt(from) == '.'
          || end - from == 2 && model.startsWith("..", from)) {
        return null;
      }
      path.append(OpenAiFormat.encode(model.substring(from, end)));
      if (slash < 0) {
        return path.toString();
      }
      path.append('/');
      from = slash + 1;
    }
  }

  /**
   * {@code url} without what may be a secret: no user information, no fragment, and each query
   * parameter's value replaced by {@code ***} (Azure's {@code api-key}, a SAS signature); a
   * parameter without {@code =} (a bare token, or {@code key%3Dvalue}) is replaced whole. A text
   * that is not an absolute URL is shown as {@code (not a URL)}: none of it is quoted.
   */
  public static String withoutSecrets(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (java.net.URISyntaxException | RuntimeException e) {
      return "(not a URL)";
    }
    if (uri.getScheme() == null || uri.getHost() == null) {
      return "(not a URL)";
    }
    StringBuilder safe = new StringBuilder(uri.getScheme()).append("://").append(uri.getHost());
    if (uri.getPort() >= 0) {
      safe.append(':').append(uri.getPort());
    }
    if (uri.getRawPath() != null) {
      safe.append(uri.getRawPath());
    }
    String query = uri.getRawQuery();
    if (query != null && !query.isEmpty()) {
      safe.append('?');
      String[] parameters = query.split("&", -1);
      for (int i = 0; i < parameters.length; i++) {
        int equals = parameters[i].indexOf('=');
        safe.append(i == 0 ? "" : "&");
        if (equals < 0) {
          safe.append("***"); // no name to tell apart: a bare token, or an encoded '='
        } else {
          safe.append(parameters[i], 0, equals).append("=***");
        }
      }
    }
    return safe.toString();
  }

  /**
   * Whether {@code host} (a URL's host, a name or an address literal, IPv6 in brackets or not) is a
   * loopback address: {@code localhost}, a name under {@code .localhost}, or a literal in the
   * loopback range. No name is looked up, so another name is never taken for one.
   */
  public static boolean isLoopbackHost(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.equals("localhost") || h.endsWith(".localhost")) {
      return true;
    }
    if (!(h.matches("[0-9.]+") || h.startsWith("[") || h.indexOf(':') >= 0)) {
      return false; // a name: not resolved here
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress(); // a literal: parsed, not looked up
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /**
   * {@code text} with every character outside ASCII as {@code %XY} escapes (upper-case hex) of its
   * UTF-8 bytes, as a URL's path goes on the wire; ASCII, escapes included, is left as it is.
   */
  public static String percentEncodeNonAscii(String text) {
    int first = 0;
    while (first < text.length() && text.charAt(first) < 0x80) {
      first++;
    }
    if (first == text.length()) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, first);
    for (int i = first; i < text.length(); ) {
      int point = text.codePointAt(i);
      i += Character.charCount(point);
      if (point < 0x80) {
        out.append((char) point);
        continue;
      }
      for (byte b : new String(Character.toChars(point)).getBytes(StandardCharsets.UTF_8)) {
        out.append('%').append(HEX_UPPER[(b >> 4) & 0xf]).append(HEX_UPPER[b & 0xf]);
      }
    }
    return out.toString();
  }
}
