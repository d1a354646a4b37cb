package dev.aigateway.core.credentials;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.LogText;
import dev.aigateway.core.wire.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One OAuth 2.0 token endpoint and the client that asks it for tokens with the client credentials
 * grant (RFC 6749 §4.4): builds the form, authenticates the client, reads the token response (§5.1)
 * or the error response (§5.2).
 */
final class TokenEndpoint implements TokenSource {

  /** The lifetime assumed when a token response has no {@code expires_in} (it is optional). */
  static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(5);

  /** The longest lifetime a token is kept for, whatever its {@code expires_in} says. */
  static final Duration MAX_LIFETIME = Duration.ofDays(100L * 365);

  /**
   * A numeric {@code expires_in} string, as a number may be spelt: a sign, digits with or without a
   * fraction (or a fraction alone), an exponent, blanks around it; what {@link Double#parseDouble}
   * reads, less its hex and named forms.
   */
  private static final Pattern NUMERIC =
      Pattern.compile("\\s*[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?\\s*");

  /** The most of a token response read; real ones are a few kilobytes. */
  static final int MAX_RESPONSE_BYTES = 64 * 1024;

  /** The most of an endpoint's error description quoted in an exception. */
  private static final int MAX_DESCRIPTION = 200;

  private final URI tokenUrl;
  private final String shownUrl;
  private final String clientId;
  private final @Nullable Secret secret;
  private final boolean basic;

  /**
   * The Basic header's credentials as an endpoint quoting the request may echo them (Base64 and
   * Base64url, with and without padding), masked before the secret itself; empty unless the client
   * authenticates with {@code client_secret_basic}.
   */
  private final List<String> basicSpellings;

  private final @Nullable ClientAssertion assertion;
  private final List<String> scopes;
  private final Map<String, String> parameters;
  private final @Nullable HttpClient httpClient;
  private final Duration timeout;
  private final Clock clock;

  TokenEndpoint(
      URI tokenUrl,
      String clientId,
      @Nullable Secret secret,
      boolean basic,
      @Nullable ClientAssertion assertion,
      List<String> scopes,
      Map<String, String> parameters,
      @Nullable HttpClient httpClient,
      Duration timeout,
      Clock clock) {
    this.tokenUrl = tokenUrl;
    this.shownUrl = shown(tokenUrl);
    this.clientId = clientId;
    this.secret = secret;
    this.basic = basic;
    this.basicSpellings =
        secret != null && basic ? basicSpellings(basicPair(clientId, secret)) : List.of();
    this.assertion = assertion;
    this.scopes = scopes;
    this.parameters = parameters;
    this.httpClient = httpClient;
    this.timeout = timeout;
    this.clock = clock;
  }

  @Override
  public AccessToken fetchToken() throws IOException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(tokenUrl)
            // at most 292 years: a longer timeout (ChronoUnit.FOREVER's) saturates
            .timeout(Duration.ofNanos(TimeUnit.NANOSECONDS.convert(timeout)))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json");
    if (secret != null && basic) {
      request.header(
          "Authorization",
          "Basic " + Base64.getEncoder().encodeToString(basicPair(clientId, secret)));
    }
    String jwt = assertion == null ? null : signAssertion();
    request.POST(HttpRequest.BodyPublishers.ofString(form(jwt), StandardCharsets.UTF_8));
    HttpClient client = httpClient != null ? httpClient : DefaultClient.INSTANCE;
    long deadline = System.nanoTime() + TimeUnit.NANOSECONDS.convert(timeout);
    HttpResponse<InputStream> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException interrupted =
          new InterruptedIOException("interrupted calling the token endpoint " + shownUrl);
      interrupted.initCause(e);
      throw interrupted;
    } catch (IOException e) {
      throw new TokenEndpointException(
          shownUrl,
          0,
          null,
          "the token endpoint "
              + shownUrl
              + " did not answer: "
              + e.getClass().getName()
              + (e.getMessage() == null ? "" : ": " + redact(e.getMessage(), jwt)),
          e);
    }
    // The client's timeout ends when the headers come; the body is read within the same timeout,
    // else a body that never comes would hold this thread and its connection for ever.
    InputStream in = response.body();
    AtomicBoolean overdue = new AtomicBoolean();
    CompletableFuture<Void> giveUp =
        CompletableFuture.runAsync(
            () -> {
              overdue.set(true);
              try {
                in.close();
              } catch (IOException ignored) {
                // closed either way
              }
            },
            CompletableFuture.delayedExecutor(
                Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS, Runnable::run));
    byte[] body;
    try (in) {
      body = in.readNBytes(MAX_RESPONSE_BYTES + 1);
    } catch (IOException e) {
      if (overdue.get()) {
        throw overdue(response.statusCode(), e);
      }
      throw new TokenEndpointException(
          shownUrl,
          response.statusCode(),
          null,
          "the token endpoint " + shownUrl + " broke off its answer: " + e.getClass().getName(),
          e);
    } finally {
      giveUp.cancel(false);
    }
    if (overdue.get()) {
      throw overdue(response.statusCode(), null);
    }
    return read(response.statusCode(), body, jwt);
  }

  private TokenEndpointException overdue(int status, @Nullable Throwable cause) {
    return new TokenEndpointException(
        shownUrl,
        status,
        null,
        "the token endpoint " + shownUrl + " did not finish its answer within " + timeout,
        cause);
  }

  /**
   * The token in a response, or the exception that says why there is none; {@code jwt} is the
   * client assertion the request sent, if any, masked as the secret is should the answer quote it.
   */
  AccessToken read(int status, byte[] body, @Nullable String jwt) throws TokenEndpointException {
    JsonNode json =
        body.length > MAX_RESPONSE_BYTES ? null : Json.parseOrNull(body, 0, body.length);
    if (status < 200 || status > 299) {
      String code = json == null ? null : errorCode(json.path("error"));
      String error = code == null ? null : redact(code, jwt); // an endpoint may echo anything
      String description = json == null ? null : description(json.path("error_description"), jwt);
      throw new TokenEndpointException(
          shownUrl,
          status,
          error,
          "the token endpoint "
              + shownUrl
              + " answered "
              + status
              + (error == null ? " without an OAuth error" : " " + error)
              + (description == null ? "" : ": " + description),
          null);
    }
    if (json == null || !json.isObject()) {
      throw refusal(status, "with a body that is not a JSON token response");
    }
    JsonNode token = json.path("access_token");
    if (!token.isTextual() || token.asText().isBlank()) {
      throw refusal(status, "without an access_token");
    }
    JsonNode type = json.path("token_type"); // null counts as absent, as for expires_in
    if (!type.isMissingNode() && !type.isNull() && !type.asText().equalsIgnoreCase("bearer")) {
      throw refusal(
          status, "a token of type '" + printable(type.asText(), 32) + "'; only Bearer is sent");
    }
    return new AccessToken(token.asText(), clock.instant().plus(lifetime(json.path("expires_in"))));
  }

  /**
   * {@code expires_in}: seconds, as a JSON number or a numeric string, in any size or form ({@code
   * 3600}, {@code "3599"}, {@code 3.6e3}, {@code "3.6e3"}, {@code " 3600 "}, a number beyond a
   * long): a fraction is dropped, a negative value is 0, and a lifetime is kept at most {@link
   * #MAX_LIFETIME}. Absent: the default.
   */
  private Duration lifetime(JsonNode expiresIn) throws TokenEndpointException {
    if (expiresIn.isMissingNode() || expiresIn.isNull()) {
      return DEFAULT_LIFETIME;
    }
    double seconds;
    if (expiresIn.isNumber()) {
      seconds = expiresIn.doubleValue(); // exact for any lifetime below MAX_LIFETIME
    } else if (expiresIn.isTextual() && NUMERIC.matcher(expiresIn.asText()).matches()) {
      seconds = Double.parseDouble(expiresIn.asText());
    } else {
      throw refusal(200, "an expires_in that is not a number of seconds");
    }
    long max = MAX_LIFETIME.getSeconds();
    // NaN and negatives are 0; an infinity, or a number beyond a long, is the maximum.
    return Duration.ofSeconds(!(seconds > 0) ? 0 : seconds >= max ? max : (long) seconds);
  }

  private TokenEndpointException refusal(int status, String what) {
    return new TokenEndpointException(
        shownUrl, status, null, "the token endpoint " + shownUrl + " answered " + what, null);
  }

  /** A new client assertion for a token request. */
  private String signAssertion() throws IOException {
    try {
      return assertion.sign(clientId, tokenUrl.toString(), clock.instant());
    } catch (GeneralSecurityException e) {
      throw new IOException(
          "signing the client assertion for "
              + shownUrl
              + " with "
              + assertion.algorithm()
              + " failed: "
              + e.getClass().getName(),
          e);
    }
  }

  /**
   * The form of a token request, with the client's credentials in it unless sent as Basic, and the
   * client assertion {@code jwt} when there is one.
   */
  private String form(@Nullable String jwt) {
    StringBuilder form = new StringBuilder("grant_type=client_credentials");
    if (!scopes.isEmpty()) {
      form.append("&scope=").append(formEncode(String.join(" ", scopes)));
    }
    if (!basic) {
      form.append("&client_id=").append(formEncode(clientId));
    }
    if (secret != null && !basic) {
      form.append("&client_secret=").append(formEncode(secret.reveal()));
    }
    if (jwt != null) {
      form.append("&client_assertion_type=").append(formEncode(ClientAssertion.TYPE));
      form.append("&client_assertion=").append(jwt);
    }
    parameters.forEach(
        (name, value) ->
            form.append('&').append(formEncode(name)).append('=').append(formEncode(value)));
    return form.toString();
  }

  /** An OAuth error code (RFC 6749 §5.2: printable ASCII), or null. */
  private static @Nullable String errorCode(JsonNode error) {
    if (!error.isTextual()) {
      return null;
    }
    String code = error.asText();
    return code.isEmpty()
            || code.length() > 64
            || !code.chars().allMatch(c -> c >= 0x20 && c <= 0x7e)
        ? null
        : code;
  }

  /**
   * The endpoint's own words, shortened, printable, with the client secret and the assertion
   * masked; or null.
   */
  private @Nullable String description(JsonNode description, @Nullable String jwt) {
    if (!description.isTextual() || description.asText().isBlank()) {
      return null;
    }
    return printable(redact(description.asText(), jwt), MAX_DESCRIPTION);
  }

  /**
   * {@code text} with the client's credentials masked: the client assertion {@code jwt} the request
   * sent, whole and its signature alone (with which it could be used again until it expires); the
   * Basic header's credentials in each spelling of {@link #basicSpellings} (masking the secret
   * first could break them up); then the secret as it is or percent-encoded ({@link
   * Secret#redact}).
   */
  private String redact(String text, @Nullable String jwt) {
    String redacted = text;
    if (jwt != null) {
      redacted = redacted.replace(jwt, "****");
      int dot = jwt.lastIndexOf('.');
      if (dot >= 0 && dot < jwt.length() - 1) {
        redacted = redacted.replace(jwt.substring(dot + 1), "****");
      }
    }
    if (secret == null) {
      return redacted;
    }
    for (String spelling : basicSpellings) {
      redacted = redacted.replace(spelling, "****");
    }
    return secret.redact(redacted);
  }

  /** The credentials of the Basic header: form-encoded id and secret (RFC 6749 §2.3.1). */
  private static byte[] basicPair(String clientId, Secret secret) {
    return (formEncode(clientId) + ":" + formEncode(secret.reveal()))
        .getBytes(StandardCharsets.UTF_8);
  }

  /** The Base64 spellings of the Basic header's credentials, longest first. */
  private static List<String> basicSpellings(byte[] pair) {
    String padded = Base64.getEncoder().encodeToString(pair);
    String url = Base64.getUrlEncoder().encodeToString(pair);
    return List.of(padded, url, strip(padded), strip(url)).stream()
        .distinct()
        .sorted(Comparator.comparingInt(String::length).reversed())
        .toList();
  }

  private static String strip(String base64) {
    int end = base64.length();
    while (end > 0 && base64.charAt(end - 1) == '=') {
      end--;
    }
    return base64.substring(0, end);
  }

  /** An endpoint's text as one line of at most {@code max} characters ({@link LogText}). */
  private static String printable(String text, int max) {
    return LogText.append(new StringBuilder(), text, max).toString();
  }

  private static String formEncode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** A URL as messages show it: scheme, host, port and path; no user info, query or fragment. */
  static String shown(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme() + "://";
    String host = uri.getHost() == null ? "" : uri.getHost();
    String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    return scheme + host + port + path;
  }

  @Override
  public String toString() {
    String auth =
        assertion != null
            ? assertion.toString()
            : basic ? "client_secret_basic" : "client_secret_post";
    return "client '"
        + clientId
        + "' at "
        + shownUrl
        + ", "
        + auth
        + (scopes.isEmpty() ? "" : ", scope '" + String.join(" ", scopes) + "'");
  }

  /** The client token requests use unless the builder was given one. */
  private static final class DefaultClient {
    static final HttpClient INSTANCE =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }
}
