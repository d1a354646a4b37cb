package dev.aigateway.api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Ready-made {@link KeyResolver}s: the call's consumer ({@code AiGateway.Builder.consumerKey}), a
 * limit's counter key, a session key for sticky routing, a cache's vary-by value. Named after the
 * type they make, as {@code Collectors} makes {@code Collector}s.
 *
 * <pre>{@code
 * KeyResolvers.header("x-consumer-id")              // a header the app sets; removed before sending
 * KeyResolvers.apiKey()                             // a fingerprint of the call's API key
 * KeyResolvers.cookie("sid")                        // a fingerprint of one cookie's value
 * KeyResolvers.tag(Tenant.class, Tenant::id)        // a tag the app put on the OkHttp request
 * }</pre>
 */
public final class KeyResolvers {

  private KeyResolvers() {}

  /**
   * Request headers whose values are credentials. A key is reported as it is (in events, metrics,
   * the ledger, logs and a shared store's key names) and a header resolver's header is removed
   * before the call is sent, so none of these may be read by {@link #header(String)}.
   */
  static final Set<String> CREDENTIAL_HEADERS =
      Set.of("authorization", "proxy-authorization", "api-key", "x-api-key", "x-goog-api-key");

  /**
   * The value of a request header. The header addresses only the gateway, so it is removed before
   * the call leaves the process (unless the gateway is configured to forward gateway headers).
   *
   * <p>The value becomes the key as it is, and keys are reported (events, metrics, the ledger) and
   * may name counters in a shared store; so a header that carries a credential ({@code
   * Authorization}, {@code Proxy-Authorization}, {@code api-key}, {@code x-api-key}, {@code
   * x-goog-api-key}) is refused: {@link #apiKey()} keys a call by a fingerprint of its API key and
   * leaves the header on the call. {@code Cookie} is refused too: {@link #cookie(String)} reads one
   * cookie and leaves the header on the call.
   *
   * @throws IllegalArgumentException when {@code name} is blank, a credential header or {@code
   *     Cookie}
   */
  public static KeyResolver header(String name) {
    requireText(name, "header name");
    String lowerCase = name.trim().toLowerCase(Locale.ROOT);
    if (CREDENTIAL_HEADERS.contains(lowerCase)) {
      throw new IllegalArgumentException(
          "header '"
              + name
              + "' carries a credential, which would become a reported key and be removed from"
              + " the call; use KeyResolvers.apiKey() to key calls by a fingerprint of their API"
              + " key");
    }
    if (lowerCase.equals("cookie")) {
      throw new IllegalArgumentException(
          "header 'Cookie' would be removed from the call and reported whole as a key; use"
              + " KeyResolvers.cookie(name) to key calls by one cookie");
    }
    Set<String> headers = Set.of(lowerCase);
    String trimmed = name.trim();
    return new KeyResolver() {
      @Override
      public @Nullable String resolve(LlmRequest request) {
        String value = request.header(trimmed);
        return value == null || value.isBlank() ? null : value.trim();
      }

      @Override
      public Set<String> gatewayHeaders() {
        return headers;
      }

      @Override
      public String toString() {
        return "header(" + trimmed + ")";
      }
    };
  }

  /**
   * A fingerprint of a cookie in the request's {@code Cookie} header, for example a web session id:
   * {@code cookie-} followed by the first 12 hex digits of the SHA-256 of its value. A cookie is
   * often a credential (a session id lets whoever has it act as the user), and keys are reported
   * (events, metrics, the ledger, logs) and may name counters in a shared store, so the value
   * itself never becomes the key; the same value always gives the same key, so limits and sticky
   * routing per session hold. No key when the cookie is absent or empty. The cookie header is not
   * removed (it may carry other cookies).
   */
  public static KeyResolver cookie(String name) {
    requireText(name, "cookie name");
    return new KeyResolver() {
      @Override
      public @Nullable String resolve(LlmRequest request) {
        String cookies = request.header("cookie");
        if (cookies == null) {
          return null;
        }
        for (String pair : cookies.split(";")) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
            String value = pair.substring(eq + 1).trim();
            return value.isEmpty() ? null : fingerprint("cookie-", value);
          }
        }
        return null;
      }

      @Override
      public String toString() {
        return "cookie(" + name + ")";
      }
    };
  }

  /**
   * A fingerprint of the API key the call carries ({@code Authorization: Bearer ...}, Azure's
   * {@code api-key}, Google's {@code x-goog-api-key} or Anthropic's {@code x-api-key}, else
   * Google's {@code key} query parameter, {@code ?key=...}, percent-decoded, which Google takes in
   * place of the header): {@code key-} followed by the first 12 hex digits of its SHA-256, so the
   * same key in the header and in the query is the same caller. The key itself never becomes a
   * counter key, so it never reaches events or logs. The credential is of course still sent to the
   * backend.
   */
  public static KeyResolver apiKey() {
    return request -> {
      String secret = bearerToken(request.header("authorization"));
      if (secret == null) {
        secret = request.header("api-key");
      }
      if (secret == null) {
        secret = request.header("x-goog-api-key");
      }
      if (secret == null) {
        secret = request.header("x-api-key");
      }
      if (secret == null) {
        secret = queryKey(request.url());
      }
      return secret == null || secret.isBlank() ? null : fingerprint(secret.trim());
    };
  }

  /**
   * The first {@code key} parameter of {@code url}'s query, percent-decoded (as is, when it does
   * not decode), or null.
   */
  static @Nullable String queryKey(@Nullable String url) {
    int query = url == null ? -1 : url.indexOf('?');
    if (query < 0) {
      return null;
    }
    int end = url.indexOf('#', query);
    if (end < 0) {
      end = url.length();
    }
    for (int from = query + 1; from < end; ) {
      int amp = url.indexOf('&', from);
      int to = amp < 0 || amp > end ? end : amp;
      if (url.startsWith("key=", from) && from + 4 <= to) {
        String value = url.substring(from + 4, to);
        try {
          return URLDecoder.decode(value, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return value;
        }
      }
      from = to + 1;
    }
    return null;
  }

  /**
   * A value derived from a tag the application attached to the request; no key when the request has
   * no such tag or {@code key} returns null.
   */
  public static <T> KeyResolver tag(
      Class<T> type, Function<? super T, ? extends @Nullable String> key) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(key, "key");
    return request -> {
      T tag = request.tag(type);
      return tag == null ? null : key.apply(tag);
    };
  }

  /** The same key for every call; for a limit shared by the whole application. */
  public static KeyResolver fixed(String key) {
    requireText(key, "key");
    return request -> key;
  }

  /** The model the call asks for (body {@code model}, else the Azure deployment). */
  public static KeyResolver model() {
    return LlmRequest::model;
  }

  static String fingerprint(String secret) {
    return fingerprint("key-", secret);
  }

  /** {@code prefix} and the first 12 hex digits of the SHA-256 of {@code secret}. */
  private static String fingerprint(String prefix, String secret) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
      return prefix + HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  private static @Nullable String bearerToken(@Nullable String authorization) {
    if (authorization == null) {
      return null;
    }
    String trimmed = authorization.trim();
    return trimmed.regionMatches(true, 0, "Bearer ", 0, 7) ? trimmed.substring(7) : null;
  }

  private static void requireText(@Nullable String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must be non-blank but was '" + value + "'");
    }
  }
}
