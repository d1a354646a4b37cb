package dev.aigateway.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.jwk.source.URLBasedJWKSetSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Resource;
import com.nimbusds.jose.util.ResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.aigateway.api.Caller;
import dev.aigateway.api.CallerResolver;
import dev.aigateway.api.LlmRequest;
import dev.aigateway.core.wire.SafeUrls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A {@link CallerResolver} that validates the call's bearer token and maps its claims to the
 * caller: the token (from {@code Authorization: Bearer ...} by default) must be signed with one of
 * the allowed algorithms by a key of the issuer's JWKS, be typed {@code JWT}, {@code at+jwt} (RFC
 * 9068's access tokens) or not at all, name the expected issuer and one of the expected audiences,
 * carry an expiry that has not passed and no not-before time still to come (both with a clock
 * skew). The consumer id is the first of the consumer claims the token carries ({@code sub} by
 * default), as a non-blank string; a token that carries none of them is refused, so the consumer
 * key (a header the caller may set) never names a token's consumer; the roles are the values of the
 * role claims ({@code roles} by default; a list of strings, or one string separated by spaces or
 * commas, as {@code scp} and {@code scope} are).
 *
 * <pre>{@code
 * AiGateway gateway = AiGateway.builder()
 *     .callerResolver(JwtCallerResolver.builder(URI.create("https://login.example.com/jwks.json"))
 *         .issuer("https://login.example.com/")
 *         .audience("ai-gateway")
 *         .roleClaims("roles", "scp")
 *         .build())
 *     .accessPolicy(AccessPolicy.denyByDefault()
 *         .role("analyst", rule -> rule.models("gpt-4o-mini*")))
 *     .build();
 * }</pre>
 *
 * <p>A call whose token is missing or fails any check is answered 401 {@code invalid_token} with
 * the reason (never the token) and is not sent. The token is never logged or put in an event. A
 * token read from a header of its own (see {@link Builder#header}) is removed from the call before
 * it is sent, since no provider reads that header; one read from {@code Authorization} is sent on
 * unless {@link Builder#stripToken(boolean)} says otherwise (the same header may have to carry the
 * provider's credential).
 *
 * <p>The key set is fetched on first use and cached ({@link Builder#jwksCacheTtl}); a token signed
 * with a key id the cached set lacks makes it fetched again at once (the issuer rotated its keys),
 * at most once per {@link Builder#jwksRefetchInterval}, so tokens with made-up key ids cannot make
 * the gateway hammer the issuer. Fetches happen on the calling thread and are given up after {@link
 * Builder#jwksTimeout} (a fetch ends within about twice it, however slowly the issuer sends). When
 * a fetch fails (the issuer is down), the key set fetched last keeps verifying tokens for up to
 * {@link Builder#jwksOutageTolerance}, so an issuer's outage refuses only tokens signed by keys the
 * gateway never saw. Thread-safe.
 *
 * <p>Built on Nimbus JOSE + JWT, the most used JOSE library on the JVM, maintained since 2012: its
 * processor does the signature, algorithm and claims checks, and its JWK source the fetching and
 * caching; the refetch limit is the resolver's own (Nimbus's lets two fetches through per
 * interval).
 */
public final class JwtCallerResolver implements CallerResolver {

  /** The header the token is read from, by default. */
  public static final String DEFAULT_HEADER = "Authorization";

  /** The clock skew tolerated on expiry and not-before, by default. */
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);

  /** How long a fetched key set is used, by default. */
  public static final Duration DEFAULT_JWKS_CACHE_TTL = Duration.ofMinutes(5);

  /** The least time between two fetches of the key set, by default. */
  public static final Duration DEFAULT_JWKS_REFETCH_INTERVAL = Duration.ofSeconds(30);

  /**
   * How long the key set fetched last keeps verifying tokens while it cannot be fetched again, by
   * default.
   */
  public static final Duration DEFAULT_JWKS_OUTAGE_TOLERANCE = Duration.ofHours(1);

  /** How long fetching the key set may take, by default. */
  public static final Duration DEFAULT_JWKS_TIMEOUT = Duration.ofSeconds(2);

  private static final int JWKS_SIZE_LIMIT = 1 << 20;

  private final String header;
  private final Set<String> gatewayHeaders;
  private final boolean required;
  private final List<String> consumerClaims;
  private final List<String> roleClaims;
  private final DefaultJWTProcessor<SecurityContext> processor;
  private final String description;

  private JwtCallerResolver(Builder b) {
    this.header = b.header;
    boolean strip =
        b.stripToken != null ? b.stripToken : !b.header.equalsIgnoreCase(DEFAULT_HEADER);
    this.gatewayHeaders = strip ? Set.of(b.header.toLowerCase(Locale.ROOT)) : Set.of();
    this.required = b.required;
    this.consumerClaims = List.copyOf(b.consumerClaims);
    this.roleClaims = List.copyOf(b.roleClaims);
    URL url;
    try {
      url = b.jwksUrl.toURL();
    } catch (MalformedURLException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the JWKS URL must be absolute but was " + SafeUrls.withoutSecrets(b.jwksUrl.toString()),
          e);
    }
    int timeout = Math.toIntExact(b.jwksTimeout.toMillis());
    JWKSource<SecurityContext> keys =
        JWKSourceBuilder.create(
                new KeptThroughOutage(
                    new OneFetchPerInterval(
                        new URLBasedJWKSetSource<>(url, new KeySetRetriever(timeout)),
                        b.jwksRefetchInterval.toMillis()),
                    saturatedMillis(b.jwksOutageTolerance)))
            .cache(b.jwksCacheTtl.toMillis(), timeout)
            .refreshAheadCache(false)
            .rateLimited(false)
            .retrying(false)
            .outageTolerant(false)
            .build();
    Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
    for (String name : b.algorithms) {
      algorithms.add(JWSAlgorithm.parse(name));
    }
    Clock clock = b.clock;
    DefaultJWTClaimsVerifier<SecurityContext> claims =
        new DefaultJWTClaimsVerifier<>(
            Set.copyOf(b.audiences),
            new JWTClaimsSet.Builder().issuer(b.issuer).build(),
            Set.of("exp", "iss", "aud"),
            Set.of()) {
          @Override
          protected Date currentTime() {
            return Date.from(clock.instant());
          }
        };
    claims.setMaxClockSkew(Math.toIntExact(b.clockSkew.toSeconds()));
    this.processor = new DefaultJWTProcessor<>();
    // JWT, none, and RFC 9068's access token type (Nimbus's default refuses at+jwt); each also
    // with the "application/" RFC 7515 lets a typ leave out (Nimbus compares them ignoring case).
    processor.setJWSTypeVerifier(
        new DefaultJOSEObjectTypeVerifier<>(
            JOSEObjectType.JWT,
            new JOSEObjectType("application/jwt"),
            new JOSEObjectType("at+jwt"),
            new JOSEObjectType("application/at+jwt"),
            null));
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
    processor.setJWTClaimsSetVerifier(claims);
    this.description =
        "JwtCallerResolver{jwks="
            + SafeUrls.withoutSecrets(b.jwksUrl.toString())
            + ", issuer="
            + b.issuer
            + ", audiences="
            + b.audiences
            + ", algorithms="
            + b.algorithms
            + "}";
  }

  private static long saturatedMillis(Duration duration) {
    try {
      return duration.toMillis();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /**
   * A builder for tokens whose keys the issuer publishes at {@code jwksUrl}. The issuer and at
   * least one audience must be set too.
   *
   * @throws IllegalArgumentException when {@code jwksUrl} is not an absolute http or https URL
   *     (plain http to another host than a loopback address is refused by {@link Builder#build()}
   *     unless {@link Builder#allowPlainHttpKeySet(boolean)}: a key set fetched over plain HTTP
   *     could be replaced on the way by one that verifies anyone's tokens)
   */
  public static Builder builder(URI jwksUrl) {
    return new Builder(Objects.requireNonNull(jwksUrl, "jwksUrl"));
  }

  @Override
  public Caller resolve(LlmRequest request) {
    String value = request.header(header);
    if (value == null || value.isBlank()) {
      return required
          ? Caller.refused("the call carries no bearer token in the '" + header + "' header")
          : Caller.UNKNOWN;
    }
    String trimmed = value.trim();
    if (!trimmed.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Caller.refused("the '" + header + "' header does not hold a bearer token");
    }
    JWTClaimsSet claims;
    try {
      SignedJWT jwt = SignedJWT.parse(trimmed.substring(7).trim());
      String time = timeOutOfRange(jwt);
      if (time != null) {
        return Caller.refused(
            "the token's " + time + " is not a time (seconds since 1970, up to the year 9999)");
      }
      claims = processor.process(jwt, null);
    } catch (ParseException e) {
      return Caller.refused("the bearer token is not a well-formed signed JWT");
    } catch (BadJOSEException e) {
      return Caller.refused(reason(e));
    } catch (JOSEException e) {
      return Caller.refused(
          "the token's signature could not be checked (the issuer's key set may be unreachable)");
    }
    String consumer = consumer(claims);
    if (consumer == null && !consumerClaims.isEmpty()) {
      // Else the consumer key, which the caller may set (a header), would name the consumer.
      return Caller.refused("the token carries none of the consumer claims " + consumerClaims);
    }
    return Caller.of(consumer, roles(claims));
  }

  @Override
  public Set<String> gatewayHeaders() {
    return gatewayHeaders;
  }

  /**
   * The last second of the year 9999, the largest time a token's claim is read as: far below what
   * the JWT library's milliseconds in a {@code long} hold (its numbers may come as doubles, rounded
   * up, so a bound at the very edge would still wrap around).
   */
  private static final long MAX_SECONDS = 253_402_300_799L;

  /**
   * The first of {@code exp}, {@code nbf} and {@code iat} the token gives as a number that is not a
   * time (negative, or after the year 9999), or null. The JWT library multiplies the seconds by
   * 1000 in a {@code long}, so such a number wrapped around: {@code exp} = {@code Long.MAX_VALUE}
   * was read as 1969 and refused as expired, and {@code nbf} = {@code Long.MAX_VALUE} as 1969 too,
   * a token not valid before the end of time accepted at once.
   */
  private static @Nullable String timeOutOfRange(SignedJWT jwt) {
    java.util.Map<String, Object> payload = jwt.getPayload().toJSONObject();
    if (payload == null) {
      return null; // not a JSON object: the processor refuses it
    }
    for (String name : TIME_CLAIMS) {
      if (payload.get(name) instanceof Number n && !isTime(n)) {
        return name;
      }
    }
    return null;
  }

  private static final List<String> TIME_CLAIMS = List.of("exp", "nbf", "iat");

  private static boolean isTime(Number seconds) {
    if (seconds instanceof Long || seconds instanceof Integer) {
      long value = seconds.longValue();
      return value >= 0 && value <= MAX_SECONDS;
    }
    double value = seconds.doubleValue();
    return value >= 0 && value <= MAX_SECONDS; // false for NaN
  }

  private @Nullable String consumer(JWTClaimsSet claims) {
    for (String name : consumerClaims) {
      Object value = claims.getClaim(name);
      if (value instanceof String s && !s.isBlank()) {
        return s;
      }
    }
    return null;
  }

  private Set<String> roles(JWTClaimsSet claims) {
    Set<String> roles = null;
    for (String name : roleClaims) {
      Object value = claims.getClaim(name);
      if (value instanceof String s) {
        for (String role : s.split("[,\\s]+")) {
          if (!role.isEmpty()) {
            roles = add(roles, role);
          }
        }
      } else if (value instanceof Collection<?> list) {
        for (Object role : list) {
          if (role instanceof String s && !s.isBlank()) {
            roles = add(roles, s.strip()); // as a string claim's roles, split at white space
          }
        }
      }
    }
    return roles == null ? Set.of() : roles;
  }

  private static Set<String> add(@Nullable Set<String> roles, String role) {
    Set<String> to = roles == null ? new LinkedHashSet<>() : roles;
    to.add(role);
    return to;
  }

  /** The refusal in the library's words; Nimbus's messages never hold the token, but may change. */
  private static String reason(BadJOSEException e) {
    String message = String.valueOf(e.getMessage());
    if (message.contains("Expired JWT")) {
      return "the token has expired";
    }
    if (message.contains("before use time")) {
      return "the token is not valid yet (its nbf is still to come)";
    }
    if (message.contains("audience") || message.contains("aud claim")) {
      return "the token is not meant for this audience";
    }
    if (message.contains("iss claim")) {
      return "the token was issued by another issuer than the expected one";
    }
    if (message.contains("missing required claims")) {
      return "the token lacks a required claim (exp, iss and aud are required)";
    }
    if (message.contains("header typ")) {
      return "the token's type (typ) is neither JWT nor an access token (at+jwt)";
    }
    if (message.contains("Invalid signature")) {
      return "the token's signature is invalid";
    }
    if (message.contains("no matching key") || message.contains("Another algorithm")) {
      return "no key of the issuer's key set verifies the token with an allowed algorithm";
    }
    return "the token was rejected";
  }

  @Override
  public String toString() {
    return description;
  }

  /**
   * The key set's fetches, the first and then at most one per interval (Nimbus's own rate limit
   * lets two through in each interval): a fetch asked for sooner, as a token with an unknown key id
   * asks for one, fails at once, and the token is refused. Below the cache, so only fetches count,
   * not the tokens the cached set verifies; the cache's fetch when its set expires comes a time to
   * live (longer than the interval) after the last fetch that succeeded, so it is never held back.
   */
  private static final class OneFetchPerInterval implements JWKSetSource<SecurityContext> {
    private final JWKSetSource<SecurityContext> source;
    private final long intervalMillis;

    /** When the last fetch after the first started; none yet while {@link #fetched} is false. */
    private long lastFetch;

    private boolean fetched;
    private boolean refetched;

    OneFetchPerInterval(JWKSetSource<SecurityContext> source, long intervalMillis) {
      this.source = source;
      this.intervalMillis = intervalMillis;
    }

    @Override
    public JWKSet getJWKSet(
        JWKSetCacheRefreshEvaluator refresh, long currentTime, SecurityContext context)
        throws KeySourceException {
      synchronized (this) {
        if (!fetched) {
          fetched = true; // the first fetch: a rotation right after it may still refetch
        } else if (refetched && currentTime - lastFetch < intervalMillis) {
          throw new RateLimitReachedException();
        } else {
          refetched = true;
          lastFetch = currentTime;
        }
      }
      return source.getJWKSet(refresh, currentTime, context);
    }

    @Override
    public void close() throws IOException {
      source.close();
    }
  }

  /**
   * The key set fetched last, handed to the cache when a fetch fails (the issuer is unreachable or
   * answers an error or something that is not a key set, or the fetch is one the refetch interval
   * holds back) for up to the outage tolerance after it was fetched: the keys the gateway already
   * knows keep verifying tokens through an issuer's outage and for the refetch interval after a
   * failed fetch, rather than every token being refused. A key the set lacks is still refused. A
   * fetch that succeeds replaces it, whatever it holds (an issuer that withdrew a key is obeyed).
   */
  private static final class KeptThroughOutage implements JWKSetSource<SecurityContext> {
    private final JWKSetSource<SecurityContext> source;
    private final long toleranceMillis;
    private @Nullable JWKSet last;
    private long lastFetched;

    KeptThroughOutage(JWKSetSource<SecurityContext> source, long toleranceMillis) {
      this.source = source;
      this.toleranceMillis = toleranceMillis;
    }

    @Override
    public JWKSet getJWKSet(
        JWKSetCacheRefreshEvaluator refresh, long currentTime, SecurityContext context)
        throws KeySourceException {
      JWKSet fetched;
      try {
        fetched = source.getJWKSet(refresh, currentTime, context);
      } catch (KeySourceException e) {
        synchronized (this) {
          if (last != null && currentTime - lastFetched < toleranceMillis) {
            return last;
          }
        }
        throw e;
      }
      synchronized (this) {
        last = fetched;
        lastFetched = currentTime;
      }
      return fetched;
    }

    @Override
    public void close() throws IOException {
      source.close();
    }
  }

  /**
   * Fetches the key set within the timeout as a whole: a host that sends it slowly, each read
   * within the read timeout, is given up rather than read byte by byte for as long as it takes
   * (Nimbus's retriever bounds each read only). At most {@link #JWKS_SIZE_LIMIT} bytes.
   */
  private static final class KeySetRetriever implements ResourceRetriever {
    private final int timeoutMillis;

    KeySetRetriever(int timeoutMillis) {
      this.timeoutMillis = timeoutMillis;
    }

    @Override
    public Resource retrieveResource(URL url) throws IOException {
      long start = System.nanoTime();
      long timeout = Duration.ofMillis(timeoutMillis).toNanos();
      URLConnection connection = url.openConnection();
      connection.setConnectTimeout(timeoutMillis);
      connection.setReadTimeout(timeoutMillis);
      try (InputStream in = connection.getInputStream()) {
        if (connection instanceof HttpURLConnection http
            && (http.getResponseCode() < 200 || http.getResponseCode() > 299)) {
          throw new IOException("the key set's URL answered HTTP " + http.getResponseCode());
        }
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) != -1; ) {
          if (content.size() + n > JWKS_SIZE_LIMIT) {
            throw new IOException("the key set is larger than " + JWKS_SIZE_LIMIT + " bytes");
          }
          content.write(buffer, 0, n);
          if (System.nanoTime() - start > timeout) {
            throw new IOException("the key set took longer than " + timeoutMillis + " ms to fetch");
          }
        }
        return new Resource(content.toString(StandardCharsets.UTF_8), connection.getContentType());
      } finally {
        if (connection instanceof HttpURLConnection http) {
          http.disconnect();
        }
      }
    }
  }

  /** Builds a {@link JwtCallerResolver}; every setter validates at once. */
  public static final class Builder {
    private final URI jwksUrl;
    private final boolean plainHttp;
    private boolean allowPlainHttp;
    private @Nullable String issuer;
    private final List<String> audiences = new ArrayList<>();
    private final List<String> algorithms = new ArrayList<>(List.of("RS256", "ES256"));
    private boolean algorithmsSet;
    private String header = DEFAULT_HEADER;
    private boolean required = true;
    private Boolean stripToken; // null: strip a custom header, keep Authorization
    private final List<String> consumerClaims = new ArrayList<>(List.of("sub"));
    private boolean consumerClaimsSet;
    private final List<String> roleClaims = new ArrayList<>(List.of("roles"));
    private boolean roleClaimsSet;
    private Duration clockSkew = DEFAULT_CLOCK_SKEW;
    private Duration jwksCacheTtl = DEFAULT_JWKS_CACHE_TTL;
    private Duration jwksRefetchInterval = DEFAULT_JWKS_REFETCH_INTERVAL;
    private Duration jwksTimeout = DEFAULT_JWKS_TIMEOUT;
    private Duration jwksOutageTolerance = DEFAULT_JWKS_OUTAGE_TOLERANCE;
    private Clock clock = Clock.systemUTC();

    private Builder(URI jwksUrl) {
      if (!jwksUrl.isAbsolute()) {
        throw new IllegalArgumentException(
            "the JWKS URL must be absolute but was " + SafeUrls.withoutSecrets(jwksUrl.toString()));
      }
      String scheme = jwksUrl.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("https") || scheme.equals("http")) || jwksUrl.getHost() == null) {
        throw new IllegalArgumentException(
            "the JWKS URL must use https (http only to a loopback address) but was "
                + SafeUrls.withoutSecrets(jwksUrl.toString()));
      }
      this.jwksUrl = jwksUrl;
      this.plainHttp = scheme.equals("http") && !SafeUrls.isLoopbackHost(jwksUrl.getHost());
    }

    /**
     * Whether the key set may be fetched over plain http from a host that is not a loopback
     * address; off by default, and {@link #build()} refuses such a URL. Whoever is on the way of a
     * key set fetched in clear text could publish keys of their own and sign tokens for any caller:
     * allow it only where the path to the issuer is protected otherwise (a service mesh that
     * encrypts and authenticates the traffic to it, for example).
     */
    public Builder allowPlainHttpKeySet(boolean allow) {
      this.allowPlainHttp = allow;
      return this;
    }

    /** The issuer ({@code iss}) every token must name; required. */
    public Builder issuer(String issuer) {
      this.issuer = requireText(issuer, "issuer");
      return this;
    }

    /** Adds an audience a token may name in {@code aud}; at least one is required. */
    public Builder audience(String audience) {
      audiences.add(requireText(audience, "audience"));
      return this;
    }

    /**
     * The signature algorithms accepted, by JWA name (default {@code RS256} and {@code ES256});
     * replaces the default on first use, then adds. {@code none} and HMAC algorithms are refused: a
     * JWKS holds public keys. EdDSA is refused too: Nimbus's key selection cannot use a JWKS's
     * Ed25519 keys, so no EdDSA-signed token could ever be verified.
     */
    public Builder algorithms(String... names) {
      if (!algorithmsSet) {
        algorithms.clear();
        algorithmsSet = true;
      }
      for (String name : names) {
        requireText(name, "algorithm");
        JWSAlgorithm algorithm = JWSAlgorithm.parse(name);
        if (!JWSAlgorithm.Family.RSA.contains(algorithm)
            && !JWSAlgorithm.Family.EC.contains(algorithm)) {
          throw new IllegalArgumentException(
              "algorithm must be an RSA or EC signature algorithm (RS256, PS256, ES256, …)"
                  + " but was '"
                  + name
                  + "'");
        }
        algorithms.add(algorithm.getName());
      }
      return this;
    }

    /**
     * The request header the bearer token is read from (default {@value
     * JwtCallerResolver#DEFAULT_HEADER}); the name is trimmed and read in any case.
     */
    public Builder header(String name) {
      this.header = requireText(name, "header name").trim();
      return this;
    }

    /**
     * True (default): a call without a token is refused with 401. False: it goes on as an unknown
     * caller (no roles; the consumer key decides its consumer), for access rules to judge.
     */
    public Builder required(boolean required) {
      this.required = required;
      return this;
    }

    /**
     * True: the token's header is removed before the call is sent (the backend then needs its own
     * credential, as a backend pool sets). False: it is sent on. By default a token in a header of
     * its own ({@link #header} other than {@code Authorization}) is removed, since it addresses
     * only the gateway and would reach the provider for nothing, and a token in {@code
     * Authorization} is sent on: on a direct route that header is the call's only credential (an
     * Entra ID token an Azure OpenAI deployment accepts, for example), and removing it would leave
     * the call without one. Set true where a backend pool supplies the provider's credential, so
     * that the caller's token does not reach the provider.
     */
    public Builder stripToken(boolean strip) {
      this.stripToken = strip;
      return this;
    }

    /**
     * The claims the consumer id is read from, the first present wins (default {@code sub});
     * replaces the default on first use, then adds. For example {@code azp} for the client. A token
     * that carries none of them (as a non-blank string) is refused. Called with none, the consumer
     * id is the gateway's consumer key, and the token gives roles only.
     */
    public Builder consumerClaims(String... names) {
      if (!consumerClaimsSet) {
        consumerClaims.clear();
        consumerClaimsSet = true;
      }
      for (String name : names) {
        consumerClaims.add(requireText(name, "claim name"));
      }
      return this;
    }

    /**
     * The claims roles are read from, all of them together (default {@code roles}); replaces the
     * default on first use, then adds. For example {@code scp} or {@code scope}.
     */
    public Builder roleClaims(String... names) {
      if (!roleClaimsSet) {
        roleClaims.clear();
        roleClaimsSet = true;
      }
      for (String name : names) {
        roleClaims.add(requireText(name, "claim name"));
      }
      return this;
    }

    /** The skew tolerated on {@code exp} and {@code nbf} (default 60 s), at most one hour. */
    public Builder clockSkew(Duration skew) {
      Objects.requireNonNull(skew, "skew");
      if (skew.isNegative() || skew.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(
            "clockSkew must be between 0 and 1 hour but was " + skew);
      }
      this.clockSkew = skew;
      return this;
    }

    /**
     * How long a fetched key set is used before it is fetched again (default 5 min), at most 100
     * years.
     */
    public Builder jwksCacheTtl(Duration ttl) {
      this.jwksCacheTtl = atMostACentury(positive(ttl, "jwksCacheTtl"), "jwksCacheTtl");
      return this;
    }

    /**
     * The least time between two fetches of the key set (default 30 s): a token with a key id the
     * cached set lacks makes it fetched at once, but not more often than this.
     */
    public Builder jwksRefetchInterval(Duration interval) {
      this.jwksRefetchInterval =
          atMostACentury(positive(interval, "jwksRefetchInterval"), "jwksRefetchInterval");
      return this;
    }

    /**
     * How long fetching the key set may take (default 2 s): connecting, and each read, within it,
     * and the fetch as a whole given up once it has taken longer, so a fetch ends within about
     * twice this however slowly the host sends.
     */
    public Builder jwksTimeout(Duration timeout) {
      Duration checked = positive(timeout, "jwksTimeout");
      if (checked.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("jwksTimeout is too long: " + timeout);
      }
      this.jwksTimeout = checked;
      return this;
    }

    /**
     * How long the key set fetched last keeps verifying tokens while the key set cannot be fetched
     * again (default 1 h): through an issuer's outage, a token signed by a key the gateway already
     * knows is accepted, one signed by another key refused. Counted from the last fetch that
     * succeeded; {@link Duration#ZERO} refuses every token once a fetch fails, until one succeeds.
     */
    public Builder jwksOutageTolerance(Duration tolerance) {
      Objects.requireNonNull(tolerance, "jwksOutageTolerance");
      if (tolerance.isNegative()) {
        throw new IllegalArgumentException(
            "jwksOutageTolerance must not be negative but was " + tolerance);
      }
      this.jwksOutageTolerance = tolerance;
      return this;
    }

    /** The clock expiry and not-before are judged by (default system UTC); for tests. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Builds the resolver. Nothing is fetched yet: the key set is fetched when the first token
     * arrives.
     *
     * @throws IllegalStateException when the issuer or every audience is missing, or the refetch
     *     interval is not shorter than the cache's time to live
     */
    public JwtCallerResolver build() {
      if (plainHttp && !allowPlainHttp) {
        // Over plain HTTP, whoever is on the way could publish keys and sign tokens for anyone.
        throw new IllegalStateException(
            "the JWKS URL must use https (http only to a loopback address, or anywhere with"
                + " allowPlainHttpKeySet(true)) but was "
                + SafeUrls.withoutSecrets(jwksUrl.toString()));
      }
      if (issuer == null) {
        throw new IllegalStateException("set the issuer every token must name: issuer(..)");
      }
      if (audiences.isEmpty()) {
        throw new IllegalStateException("add the audience tokens must name: audience(..)");
      }
      if (algorithms.isEmpty()) {
        throw new IllegalStateException("allow at least one algorithm: algorithms(..)");
      }
      if (jwksRefetchInterval.compareTo(jwksCacheTtl) >= 0) {
        throw new IllegalStateException(
            "jwksRefetchInterval ("
                + jwksRefetchInterval
                + ") must be shorter than jwksCacheTtl ("
                + jwksCacheTtl
                + ")");
      }
      if (consumerClaims.isEmpty() && roleClaims.isEmpty()) {
        throw new IllegalStateException("name a consumer claim or a role claim");
      }
      return new JwtCallerResolver(this);
    }

    private static Duration positive(Duration value, String what) {
      Objects.requireNonNull(value, what);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(what + " must be positive but was " + value);
      }
      return value;
    }

    /**
     * The key set's cache counts its times in milliseconds from now in a {@code long}: a longer
     * time ("forever") overflowed it, and {@link #build()} threw an {@code ArithmeticException}.
     */
    private static Duration atMostACentury(Duration value, String what) {
      if (value.compareTo(CENTURY) > 0) {
        throw new IllegalArgumentException(what + " must be at most 100 years but was " + value);
      }
      return value;
    }

    private static final Duration CENTURY = Duration.ofDays(36_525);

    private static String requireText(String value, String what) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(what + " must be non-blank but was '" + value + "'");
      }
      return value;
    }
  }
}
