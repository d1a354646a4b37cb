package dev.aigateway.jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.aigateway.api.Caller;
import dev.aigateway.api.LlmRequest;
import dev.aigateway.api.Operation;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class JwtCallerResolverTest {

  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

  private Issuer issuer;
  private RSAKey rsa;

  /** A request carrying only headers, as the resolver reads it. */
  record Headers(Map<String, String> headers) implements LlmRequest {
    static Headers bearer(String token) {
      return new Headers(Map.of("authorization", "Bearer " + token));
    }

    @Override
    public Operation operation() {
      return Operation.CHAT_COMPLETIONS;
    }

    @Override
    public String method() {
      return "POST";
    }

    @Override
    public String url() {
      return "https://api.example.com/v1/chat/completions";
    }

    @Override
    public String header(String name) {
      return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }

    @Override
    public <T> T tag(Class<? extends T> type) {
      return null;
    }

    @Override
    public String deployment() {
      return null;
    }

    @Override
    public String model() {
      return "gpt-4o";
    }

    @Override
    public boolean stream() {
      return false;
    }

    @Override
    public boolean includeUsageRequested() {
      return false;
    }

    @Override
    public OptionalLong maxOutputTokens() {
      return OptionalLong.empty();
    }

    @Override
    public int choices() {
      return 1;
    }

    @Override
    public boolean bodyUnderstood() {
      return true;
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    issuer = new Issuer();
    rsa = Issuer.rsaKey("k1");
    issuer.publish(rsa.toPublicJWK());
  }

  @AfterEach
  void tearDown() {
    issuer.close();
  }

  /** A resolver of the test issuer's tokens, on a clock fixed at {@link #NOW}. */
  private JwtCallerResolver.Builder resolver() {
    return forKeySetAt(issuer.jwksUrl()).clock(Clock.fixed(NOW, ZoneOffset.UTC));
  }

  /** A resolver of the test issuer and audience whose key set is at {@code jwksUrl}. */
  private static JwtCallerResolver.Builder forKeySetAt(URI jwksUrl) {
    return JwtCallerResolver.builder(jwksUrl).issuer(Issuer.ISSUER).audience(Issuer.AUDIENCE);
  }

  private static JWTClaimsSet.Builder claims() {
    return Issuer.validClaims(NOW);
  }

  @Test
  void validTokenGivesItsSubjectAndRoles() throws Exception {
    String token = Issuer.sign(rsa, claims().claim("roles", List.of("analyst", "batch")).build());

    Caller caller = resolver().build().resolve(Headers.bearer(token));

    assertThat(caller.isRefused()).isFalse();
    assertThat(caller.consumer()).isEqualTo("alice");
    assertThat(caller.roles()).containsExactlyInAnyOrder("analyst", "batch");
  }

  @Test
  void claimNamesAreConfigurableAndSpaceSeparatedScopesAreRoles() throws Exception {
    String token =
        Issuer.sign(rsa, claims().claim("azp", "client-7").claim("scp", "chat.read embed").build());

    Caller caller =
        resolver()
            .consumerClaims("azp", "sub")
            .roleClaims("scp", "roles")
            .build()
            .resolve(Headers.bearer(token));

    assertThat(caller.consumer()).isEqualTo("client-7");
    assertThat(caller.roles()).containsExactlyInAnyOrder("chat.read", "embed");
  }

  @Test
  void ecSignedTokensAreAcceptedToo() throws Exception {
    ECKey ec = Issuer.ecKey("e1");
    issuer.publish(ec.toPublicJWK());

    Caller caller = resolver().build().resolve(Headers.bearer(Issuer.sign(ec, claims().build())));

    assertThat(caller.isRefused()).isFalse();
    assertThat(caller.consumer()).isEqualTo("alice");
  }

  private Caller resolveWith(JWTClaimsSet claims) throws Exception {
    return resolver().build().resolve(Headers.bearer(Issuer.sign(rsa, claims)));
  }

  @Test
  void expiredTokenIsRefused() throws Exception {
    Caller caller =
        resolveWith(claims().expirationTime(Date.from(NOW.minus(Duration.ofMinutes(5)))).build());

    assertThat(caller.refusal()).isEqualTo("the token has expired");
  }

  @Test
  void expiryWithinTheClockSkewIsAccepted() throws Exception {
    Caller caller = resolveWith(claims().expirationTime(Date.from(NOW.minusSeconds(30))).build());

    assertThat(caller.isRefused()).isFalse();
  }

  @Test
  void notYetValidTokenIsRefused() throws Exception {
    Caller caller =
        resolveWith(claims().notBeforeTime(Date.from(NOW.plus(Duration.ofMinutes(10)))).build());

    assertThat(caller.refusal()).contains("not valid yet");
  }

  @Test
  void wrongIssuerIsRefused() throws Exception {
    Caller caller = resolveWith(claims().issuer("https://evil.example.com/").build());

    assertThat(caller.refusal()).contains("another issuer");
  }

  @Test
  void wrongAudienceIsRefused() throws Exception {
    Caller caller = resolveWith(claims().audience("some-other-api").build());

    assertThat(caller.refusal()).contains("audience");
  }

  @Test
  void timesBeyondWhatADateHoldsAreRefusedSayingSoNotReadWrappedAround() throws Exception {
    // Seconds times 1000 overflowed a long in the JWT library: exp = Long.MAX_VALUE read as
    // 1969 ("expired"), and nbf = Long.MAX_VALUE as 1969 too, so a token not valid before the
    // end of time was accepted at once.
    JwtCallerResolver resolver = resolver().build();
    Map<String, Object> beyond =
        Map.of(
            "exp", Long.MAX_VALUE,
            "nbf", Long.MAX_VALUE,
            "iat", Long.MAX_VALUE);
    for (Map.Entry<String, Object> claim : beyond.entrySet()) {
      JWTClaimsSet.Builder claims = claims().claim(claim.getKey(), claim.getValue());

      Caller caller = resolver.resolve(Headers.bearer(Issuer.sign(rsa, claims.build())));

      assertThat(caller.refusal())
          .as(claim.getKey())
          .isEqualTo(
              "the token's "
                  + claim.getKey()
                  + " is not a time (seconds since 1970, up to the year 9999)");
    }
    for (Object value : List.of(1e300, -5L, 253_402_300_800L, 9_223_372_036_854_776L)) {
      Caller caller =
          resolver.resolve(Headers.bearer(Issuer.sign(rsa, claims().claim("exp", value).build())));
      assertThat(caller.refusal()).as("exp %s", value).contains("the token's exp is not a time");
    }
    // The last second of the year 9999 is a time: an expiry far away.
    long largest = 253_402_300_799L;
    Caller far =
        resolver.resolve(Headers.bearer(Issuer.sign(rsa, claims().claim("exp", largest).build())));
    assertThat(far.refusal()).isNull();
  }

  @Test
  void tokenWithoutExpiryIsRefused() throws Exception {
    Caller caller = resolveWith(claims().expirationTime(null).build());

    assertThat(caller.refusal()).contains("required claim");
  }

  @Test
  void forgedSignatureIsRefused() throws Exception {
    // Signed with a key that claims the published key's id but is not it.
    RSAKey forger = Issuer.rsaKey("k1");
    Caller caller =
        resolver().build().resolve(Headers.bearer(Issuer.sign(forger, claims().build())));

    assertThat(caller.refusal()).isEqualTo("the token's signature is invalid");
  }

  @Test
  void tamperedPayloadIsRefused() throws Exception {
    String token = Issuer.sign(rsa, claims().build());
    String[] parts = token.split("\\.");
    String forgedPayload =
        com.nimbusds.jose.util.Base64URL.encode(
                claims().subject("mallory").claim("roles", List.of("admin")).build().toString())
            .toString();

    Caller caller =
        resolver().build().resolve(Headers.bearer(parts[0] + "." + forgedPayload + "." + parts[2]));

    assertThat(caller.refusal()).isEqualTo("the token's signature is invalid");
  }

  @Test
  void unsignedTokenAndDisallowedAlgorithmsAreRefused() throws Exception {
    String unsigned = new com.nimbusds.jwt.PlainJWT(claims().build()).serialize();
    assertThat(resolver().build().resolve(Headers.bearer(unsigned)).isRefused()).isTrue();

    ECKey ec = Issuer.ecKey("e1");
    issuer.publish(ec.toPublicJWK());
    Caller caller =
        resolver()
            .algorithms("RS256")
            .build()
            .resolve(Headers.bearer(Issuer.sign(ec, claims().build())));
    assertThat(caller.refusal()).contains("allowed algorithm");
    assertThatThrownBy(() -> resolver().algorithms("HS256"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'HS256'");
  }

  @Test
  void missingOrMalformedTokenIsRefusedWithoutEchoingIt() {
    JwtCallerResolver resolver = resolver().build();

    assertThat(resolver.resolve(new Headers(Map.of())).refusal()).contains("no bearer token");
    assertThat(resolver.resolve(new Headers(Map.of("authorization", "Basic c2VjcmV0"))).refusal())
        .contains("does not hold a bearer token")
        .doesNotContain("c2VjcmV0");
    Caller garbage = resolver.resolve(Headers.bearer("not-a-jwt-SECRETVALUE"));
    assertThat(garbage.refusal()).contains("not a well-formed").doesNotContain("SECRETVALUE");
  }

  @Test
  void anOptionalTokenLetsCallsWithoutOneThroughAsUnknown() {
    Caller caller = resolver().required(false).build().resolve(new Headers(Map.of()));

    assertThat(caller).isEqualTo(Caller.UNKNOWN);
  }

  @Test
  void keySetIsFetchedOnceAndCached() throws Exception {
    JwtCallerResolver resolver = resolver().build();
    for (int i = 0; i < 5; i++) {
      String token = Issuer.sign(rsa, claims().subject("user-" + i).build());
      assertThat(resolver.resolve(Headers.bearer(token)).consumer()).isEqualTo("user-" + i);
    }

    assertThat(issuer.fetches()).isEqualTo(1);
  }

  @Test
  void unknownKeyIdRefetchesTheKeySetSoRotatedKeysAreAccepted() throws Exception {
    JwtCallerResolver resolver = resolver().build();
    assertThat(resolver.resolve(Headers.bearer(Issuer.sign(rsa, claims().build()))).isRefused())
        .isFalse();
    assertThat(issuer.fetches()).isEqualTo(1);

    // The issuer rotates: a new key is published and tokens are signed with it.
    RSAKey rotated = Issuer.rsaKey("k2");
    issuer.unpublishAll();
    issuer.publish(rotated.toPublicJWK());
    Caller caller = resolver.resolve(Headers.bearer(Issuer.sign(rotated, claims().build())));

    assertThat(caller.isRefused()).isFalse();
    assertThat(issuer.fetches()).isEqualTo(2);
  }

  @Test
  void unknownKeyIdsDoNotRefetchMoreOftenThanTheInterval() throws Exception {
    JwtCallerResolver resolver =
        resolver()
            .jwksCacheTtl(Duration.ofHours(1))
            .jwksRefetchInterval(Duration.ofMinutes(10))
            .build();
    assertThat(resolver.resolve(Headers.bearer(Issuer.sign(rsa, claims().build()))).isRefused())
        .isFalse();

    for (int i = 0; i < 20; i++) {
      RSAKey madeUp = Issuer.rsaKey("made-up-" + i);
      Caller caller = resolver.resolve(Headers.bearer(Issuer.sign(madeUp, claims().build())));
      assertThat(caller.isRefused()).isTrue();
    }

    // Nimbus's rate limit lets one refetch through per interval (plus the first fetch).
    assertThat(issuer.fetches()).isLessThanOrEqualTo(3);
  }

  @Test
  void aFloodOfUnknownKeyIdsRefetchesOnceInANewIntervalNotTwice() throws Exception {
    // Real time: the interval is judged on the wall clock. The wait only lets one interval pass;
    // every later call comes well within the next one.
    Duration interval = Duration.ofSeconds(2);
    JwtCallerResolver resolver =
        forKeySetAt(issuer.jwksUrl())
            .jwksCacheTtl(Duration.ofHours(1))
            .jwksRefetchInterval(interval)
            .build();
    JWTClaimsSet valid = Issuer.validClaims(Instant.now()).build();
    assertThat(resolver.resolve(Headers.bearer(Issuer.sign(rsa, valid))).isRefused()).isFalse();
    assertThat(issuer.fetches()).isEqualTo(1);
    List<String> madeUp = new java.util.ArrayList<>();
    for (int i = 0; i < 10; i++) {
      madeUp.add(Issuer.sign(new RSAKey.Builder(rsa).keyID("made-up-" + i).build(), valid));
    }

    Thread.sleep(interval.toMillis() + 200);
    long start = System.nanoTime();
    for (String token : madeUp) {
      assertThat(resolver.resolve(Headers.bearer(token)).isRefused()).isTrue();
    }

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(interval);
    assertThat(issuer.fetches())
        .as("the first fetch, then one refetch for the interval the flood came in")
        .isEqualTo(2);
  }

  @Test
  void keysAlreadyFetchedKeepVerifyingWhileTheKeySetCannotBeFetched() throws Exception {
    // Real time: the cache's expiry is judged on the wall clock; the waits only let it expire.
    Duration ttl = Duration.ofSeconds(2);
    JwtCallerResolver resolver =
        forKeySetAt(issuer.jwksUrl())
            .jwksCacheTtl(ttl)
            .jwksRefetchInterval(Duration.ofSeconds(1))
            .build();
    JWTClaimsSet valid = Issuer.validClaims(Instant.now()).build();
    String token = Issuer.sign(rsa, valid);
    assertThat(resolver.resolve(Headers.bearer(token)).isRefused()).isFalse();

    issuer.down(true);
    Thread.sleep(ttl.toMillis() + 200);
    Caller first = resolver.resolve(Headers.bearer(token));
    Caller second = resolver.resolve(Headers.bearer(token));

    assertThat(first.isRefused())
        .as("the key the issuer signed with is known: %s", first.refusal())
        .isFalse();
    assertThat(second.isRefused())
        .as("within the refetch interval after a failed fetch: %s", second.refusal())
        .isFalse();
    assertThat(issuer.fetches()).as("the failed fetch was tried").isGreaterThanOrEqualTo(2);
    RSAKey unknown = Issuer.rsaKey("k2");
    assertThat(resolver.resolve(Headers.bearer(Issuer.sign(unknown, valid))).isRefused())
        .as("a key the gateway never fetched is not accepted in an outage")
        .isTrue();

    // The issuer is back and has rotated: the new key is fetched and accepted.
    issuer.down(false);
    issuer.publish(unknown.toPublicJWK());
    Thread.sleep(1_200);
    assertThat(resolver.resolve(Headers.bearer(Issuer.sign(unknown, valid))).isRefused()).isFalse();
  }

  @Test
  void withoutOutageToleranceAFailedFetchRefusesTokens() throws Exception {
    Duration ttl = Duration.ofSeconds(2);
    JwtCallerResolver resolver =
        forKeySetAt(issuer.jwksUrl())
            .jwksCacheTtl(ttl)
            .jwksRefetchInterval(Duration.ofSeconds(1))
            .jwksOutageTolerance(Duration.ZERO)
            .build();
    String token = Issuer.sign(rsa, Issuer.validClaims(Instant.now()).build());
    assertThat(resolver.resolve(Headers.bearer(token)).isRefused()).isFalse();

    issuer.down(true);
    Thread.sleep(ttl.toMillis() + 200);

    assertThat(resolver.resolve(Headers.bearer(token)).refusal())
        .isEqualTo(
            "the token's signature could not be checked (the issuer's key set may be unreachable)");
    assertThatThrownBy(() -> resolver().jwksOutageTolerance(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aKeySetOverPlainHttpIsRefusedUnlessOnLoopback() {
    // Whoever sits on the path of a plain-HTTP key set can publish keys of their own and so sign
    // tokens for any caller.
    for (String url :
        List.of(
            "file:/etc/jwks.json", "ftp://login.example.com/jwks.json", "https:/no-host/jwks")) {
      assertThatThrownBy(() -> JwtCallerResolver.builder(URI.create(url)))
          .as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("https");
    }
    for (String url :
        List.of(
            "http://login.example.com/jwks.json",
            "HTTP://10.0.0.5:8080/realms/x/certs?sig=url-SECRET")) {
      JwtCallerResolver.Builder plain = forKeySetAt(URI.create(url));
      assertThatThrownBy(plain::build)
          .as(url)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("https")
          .hasMessageContaining("allowPlainHttpKeySet(true)")
          .hasMessageNotContaining("url-SECRET");
      // Where the path to the issuer is protected otherwise (a service mesh), on request only.
      assertThat(plain.allowPlainHttpKeySet(true).build()).as(url).isNotNull();
    }
    for (String url :
        List.of(
            "https://login.example.com/jwks.json",
            "http://localhost:8080/jwks.json",
            "http://127.0.0.1:8080/jwks.json",
            "http://[::1]:8080/jwks.json")) {
      assertThat(forKeySetAt(URI.create(url)).build()).as(url).isNotNull();
    }
  }

  @Test
  void aPaddedHeaderNameReadsAndStripsTheHeaderItNamesAsKeyResolversDo() throws Exception {
    String token = Issuer.sign(rsa, claims().build());
    JwtCallerResolver resolver = resolver().header(" X-Token ").stripToken(true).build();

    Caller caller = resolver.resolve(new Headers(Map.of("x-token", "Bearer " + token)));

    assertThat(caller.refusal()).isNull();
    assertThat(caller.consumer()).isEqualTo("alice");
    assertThat(resolver.gatewayHeaders()).isEqualTo(Set.of("x-token"));
  }

  @Test
  void strippingTheTokenMakesItsHeaderAGatewayHeader() {
    assertThat(resolver().build().gatewayHeaders()).isEmpty();
    assertThat(resolver().stripToken(true).build().gatewayHeaders())
        .isEqualTo(Set.of("authorization"));
    assertThat(resolver().header("authorization").build().gatewayHeaders()).isEmpty();
  }

  @Test
  void aTokenInAHeaderOfItsOwnIsStrippedUnlessToldOtherwise() {
    assertThat(resolver().header("X-User-Token").build().gatewayHeaders())
        .isEqualTo(Set.of("x-user-token"));
    assertThat(resolver().header("X-User-Token").stripToken(false).build().gatewayHeaders())
        .isEmpty();
  }

  @Test
  void issuerAndAudienceAreRequired() {
    assertThatThrownBy(() -> JwtCallerResolver.builder(issuer.jwksUrl()).audience("a").build())
        .hasMessageContaining("issuer");
    assertThatThrownBy(() -> JwtCallerResolver.builder(issuer.jwksUrl()).issuer("i").build())
        .hasMessageContaining("audience");
    assertThatThrownBy(() -> resolver().clockSkew(Duration.ofHours(2)))
        .hasMessageContaining("PT2H");
    assertThatThrownBy(() -> resolver().jwksRefetchInterval(Duration.ofMinutes(5)).build())
        .hasMessageContaining("shorter than jwksCacheTtl");
  }

  @Test
  void aCacheTimeBeyondWhatTheKeySetCacheCountsIsRefusedByItsSetter() {
    // "Forever" overflowed the milliseconds the cache counts in: build() threw an
    // ArithmeticException ("long overflow") naming no setting.
    java.time.Duration forever = java.time.temporal.ChronoUnit.FOREVER.getDuration();
    assertThatThrownBy(() -> resolver().jwksCacheTtl(forever))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jwksCacheTtl")
        .hasMessageContaining("at most 100 years");
    assertThatThrownBy(() -> resolver().jwksRefetchInterval(forever))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jwksRefetchInterval");
    Duration century = Duration.ofDays(36_500);
    assertThat(resolver().jwksCacheTtl(century).jwksRefetchInterval(Duration.ofDays(1)).build())
        .isNotNull();
  }

  @Test
  void descriptionNamesTheConfigurationNotTokens() {
    assertThat(resolver().build().toString())
        .contains(Issuer.ISSUER)
        .contains(Issuer.AUDIENCE)
        .contains("RS256");
  }

  /** A valid token signed with the published RSA key whose header names the type {@code typ}. */
  private String signedTyped(String typ) throws Exception {
    com.nimbusds.jwt.SignedJWT jwt =
        new com.nimbusds.jwt.SignedJWT(
            new com.nimbusds.jose.JWSHeader.Builder(com.nimbusds.jose.JWSAlgorithm.RS256)
                .keyID("k1")
                .type(new com.nimbusds.jose.JOSEObjectType(typ))
                .build(),
            claims().build());
    jwt.sign(new com.nimbusds.jose.crypto.RSASSASigner(rsa));
    return jwt.serialize();
  }

  @Test
  void accessTokensTypedAsRfc9068sAtJwtAreAccepted() throws Exception {
    // RFC 9068 access tokens carry typ "at+jwt" (IdentityServer, Auth0's RFC 9068 profile, ...).
    for (String typ : List.of("at+jwt", "application/at+jwt", "JWT")) {
      Caller caller = resolver().build().resolve(Headers.bearer(signedTyped(typ)));

      assertThat(caller.refusal()).as(typ).isNull();
      assertThat(caller.consumer()).isEqualTo("alice");
    }
  }

  @Test
  void aTokenTypedWithJwtsFullMediaTypeIsAJwt() throws Exception {
    // RFC 7515 §4.1.9: "application/" may be left out of typ, so "application/jwt" is "JWT";
    // it was refused as another type while "application/at+jwt" was accepted.
    for (String typ : List.of("application/jwt", "application/JWT", "Application/JWT")) {
      Caller caller = resolver().build().resolve(Headers.bearer(signedTyped(typ)));

      assertThat(caller.refusal()).as(typ).isNull();
      assertThat(caller.consumer()).isEqualTo("alice");
    }
  }

  @Test
  void tokensOfAnotherTypeAreRefusedSayingSo() throws Exception {
    assertThat(resolver().build().resolve(Headers.bearer(signedTyped("logout+jwt"))).refusal())
        .contains("typ");
  }

  @Test
  void eddsaIsRefusedWhenConfiguredSinceNoEddsaTokenCouldBeVerified() {
    // Nimbus's key selector takes only keys it can turn into JCA keys, which Ed25519 JWKs (OKP)
    // are not: with EdDSA allowed, every EdDSA-signed token was refused as "no key verifies it".
    for (String name : List.of("EdDSA", "Ed25519", "Ed448")) {
      assertThatThrownBy(() -> resolver().algorithms("RS256", name))
          .as(name)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + name + "'")
          .hasMessageContaining("RSA or EC");
    }
  }

  @Test
  void aKeySetSentSlowlyIsGivenUpAfterTheTimeoutNotWaitedForByteByByte() throws Exception {
    try (mockwebserver3.MockWebServer slow = new mockwebserver3.MockWebServer()) {
      // About 400 bytes, 8 every 200 ms: 10 s in all, though every read returns within 500 ms.
      slow.enqueue(
          new mockwebserver3.MockResponse.Builder()
              .code(200)
              .addHeader("Content-Type", "application/json")
              .body(new com.nimbusds.jose.jwk.JWKSet(rsa.toPublicJWK()).toString(true))
              .throttleBody(8, 200, java.util.concurrent.TimeUnit.MILLISECONDS)
              .build());
      slow.start();
      JwtCallerResolver resolver =
          forKeySetAt(slow.url("/jwks.json").uri())
              .clock(Clock.fixed(NOW, ZoneOffset.UTC))
              .jwksTimeout(Duration.ofMillis(500))
              .build();
      String token = Issuer.sign(rsa, claims().build());

      long start = System.nanoTime();
      Caller caller = resolver.resolve(Headers.bearer(token));
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(took).isLessThan(Duration.ofSeconds(3));
      assertThat(caller.refusal()).contains("could not be checked");
    }
  }

  @Test
  void theJwksUrlsSecretsAreNeitherDescribedNorEchoed() {
    // A key set behind a signed URL (an Azure SAS, a function key) or with user information.
    java.net.URI signed =
        java.net.URI.create(
            "https://jwks-user:PASSWORD1@keys.example.com/jwks.json?sig=SIGNATURE1");
    String description = forKeySetAt(signed).build().toString();

    assertThat(description)
        .contains("https://keys.example.com/jwks.json")
        .doesNotContain("PASSWORD1")
        .doesNotContain("SIGNATURE1");
    assertThatThrownBy(
            () -> JwtCallerResolver.builder(java.net.URI.create("/jwks.json?sig=SIGNATURE2")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("absolute")
        .hasMessageNotContaining("SIGNATURE2");
  }
}
