package dev.aigateway.core.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.spi.Credential;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OAuthClientCredentialsTest {

  private static final String CLIENT_SECRET = "oauth-client-SECRET";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final ManualClock clock = new ManualClock(Instant.parse("2026-06-01T10:00:00Z"));
  private final MockWebServer tokenEndpoint = new MockWebServer();

  @BeforeEach
  void setUp() throws Exception {
    tokenEndpoint.start();
  }

  @AfterEach
  void tearDown() {
    tokenEndpoint.close();
  }

  private static MockResponse token(String token, Object expiresIn) {
    String expires =
        expiresIn == null
            ? ""
            : ",\"expires_in\":"
                + (expiresIn instanceof String ? "\"" + expiresIn + "\"" : expiresIn);
    return json(
        200, "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\"" + expires + "}");
  }

  private static MockResponse json(int code, String body) {
    return new MockResponse.Builder()
        .code(code)
        .addHeader("Content-Type", "application/json")
        .body(body)
        .build();
  }

  private OAuthClientCredentials.Builder oauth() {
    return OAuthClientCredentials.builder()
        .tokenUrl(tokenEndpoint.url("/oauth2/token").toString())
        .clientId("gateway-client")
        .clock(clock);
  }

  private static Map<String, String> form(RecordedRequest request) {
    Map<String, String> form = new LinkedHashMap<>();
    for (String pair : request.getBody().utf8().split("&")) {
      int eq = pair.indexOf('=');
      form.put(
          URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
          URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return form;
  }

  @Test
  void aClientSecretIsPostedWithTheGrantAndScopesAndTheTokenIsCachedUntilDue() throws Exception {
    tokenEndpoint.enqueue(token("access-token-SECRET-1", 3600));
    tokenEndpoint.enqueue(token("access-token-SECRET-2", 3600));
    OAuthClientCredentials credentials =
        oauth().clientSecret(CLIENT_SECRET).scope("llm.invoke", "llm.read").build();

    Credential first = credentials.credential();
    clock.advance(Duration.ofMinutes(50));
    Credential stillCached = credentials.credential();
    clock.advance(Duration.ofMinutes(10));
    Credential afterExpiry = credentials.credential();

    assertThat(first.kind()).isEqualTo(Credential.Kind.BEARER_TOKEN);
    assertThat(first.secret()).isEqualTo("access-token-SECRET-1");
    assertThat(stillCached).isSameAs(first);
    assertThat(afterExpiry.secret()).isEqualTo("access-token-SECRET-2");
    assertThat(tokenEndpoint.getRequestCount()).isEqualTo(2);
    RecordedRequest request = tokenEndpoint.takeRequest();
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getTarget()).isEqualTo("/oauth2/token");
    assertThat(request.getHeaders().get("Content-Type"))
        .startsWith("application/x-www-form-urlencoded");
    assertThat(request.getHeaders().get("Authorization")).isNull();
    assertThat(form(request))
        .containsExactly(
            Map.entry("grant_type", "client_credentials"),
            Map.entry("scope", "llm.invoke llm.read"),
            Map.entry("client_id", "gateway-client"),
            Map.entry("client_secret", CLIENT_SECRET));
  }

  @Test
  void aBasicClientSecretGoesInTheAuthorizationHeaderNotTheForm() throws Exception {
    tokenEndpoint.enqueue(token("access-token-SECRET-1", 3600));
    OAuthClientCredentials credentials =
        oauth().clientSecretBasic("oauth-client-SECRET:+/").parameter("audience", "llm").build();

    credentials.credential();

    RecordedRequest request = tokenEndpoint.takeRequest();
    String basic = request.getHeaders().get("Authorization");
    assertThat(basic).startsWith("Basic ");
    assertThat(new String(Base64.getDecoder().decode(basic.substring(6)), StandardCharsets.UTF_8))
        .isEqualTo("gateway-client:oauth-client-SECRET%3A%2B%2F"); // form-encoded, RFC 6749 §2.3.1
    assertThat(form(request))
        .containsExactly(
            Map.entry("grant_type", "client_credentials"), Map.entry("audience", "llm"));
  }

  @Test
  void aPrivateKeyJwtAssertionIsSignedWithRs256AndNamesClientAudienceAndKey() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair keys = generator.generateKeyPair();
    tokenEndpoint.enqueue(token("access-token-SECRET-1", 3600));
    OAuthClientCredentials credentials =
        oauth().privateKeyJwt(keys.getPrivate(), "key-1", JwsAlgorithm.RS256).build();

    credentials.credential();

    Map<String, String> form = form(tokenEndpoint.takeRequest());
    assertThat(form)
        .containsEntry("client_id", "gateway-client")
        .containsEntry(
            "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        .doesNotContainKey("client_secret");
    String[] jwt = form.get("client_assertion").split("\\.");
    JsonNode header = decode(jwt[0]);
    JsonNode claims = decode(jwt[1]);
    assertThat(header.path("alg").asText()).isEqualTo("RS256");
    assertThat(header.path("kid").asText()).isEqualTo("key-1");
    assertThat(claims.path("iss").asText()).isEqualTo("gateway-client");
    assertThat(claims.path("sub").asText()).isEqualTo("gateway-client");
    assertThat(claims.path("aud").asText())
        .isEqualTo(tokenEndpoint.url("/oauth2/token").toString());
    assertThat(claims.path("jti").asText()).isNotBlank();
    long now = clock.instant().getEpochSecond();
    assertThat(claims.path("iat").asLong()).isEqualTo(now);
    assertThat(claims.path("exp").asLong()).isEqualTo(now + 300);
    Signature verifier = Signature.getInstance("SHA256withRSA");
    verifier.initVerify(keys.getPublic());
    verifier.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
    assertThat(verifier.verify(Base64.getUrlDecoder().decode(jwt[2]))).isTrue();
  }

  @Test
  void anEs256AssertionCarriesTheFixedLengthSignatureJwsRequires() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair keys = generator.generateKeyPair();
    tokenEndpoint.enqueue(token("access-token-SECRET-1", 3600));
    tokenEndpoint.enqueue(token("access-token-SECRET-2", 3600));
    OAuthClientCredentials credentials =
        oauth().privateKeyJwt(keys.getPrivate(), null, JwsAlgorithm.ES256).build();

    credentials.credential();
    credentials.invalidate(credentials.credential());
    credentials.credential();

    String[] first = form(tokenEndpoint.takeRequest()).get("client_assertion").split("\\.");
    String[] second = form(tokenEndpoint.takeRequest()).get("client_assertion").split("\\.");
    assertThat(decode(first[0]).has("kid")).isFalse();
    byte[] signature = Base64.getUrlDecoder().decode(first[2]);
    assertThat(signature).hasSize(64);
    Signature verifier = Signature.getInstance("SHA256withECDSAinP1363Format");
    verifier.initVerify(keys.getPublic());
    verifier.update((first[0] + "." + first[1]).getBytes(StandardCharsets.US_ASCII));
    assertThat(verifier.verify(signature)).isTrue();
    assertThat(decode(second[1]).path("jti").asText())
        .isNotEqualTo(decode(first[1]).path("jti").asText()); // a new assertion per request
  }

  @Test
  void aRefusedClientFailsWithTheEndpointAndErrorCodeButNeverTheSecret() {
    tokenEndpoint.enqueue(
        json(
            401,
            "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client"
                + " secret provided: oauth-client-SECRET\"}"));
    OAuthClientCredentials credentials = oauth().clientSecret(CLIENT_SECRET).build();
    String url = tokenEndpoint.url("/oauth2/token").toString();

    assertThatThrownBy(credentials::credential)
        .isInstanceOf(IOException.class)
        .hasMessageContaining(url + " answered 401 invalid_client: AADSTS7000215")
        .hasMessageNotContaining(CLIENT_SECRET)
        .cause()
        .isInstanceOfSatisfying(
            TokenEndpointException.class,
            e -> {
              assertThat(e.tokenUrl()).isEqualTo(url);
              assertThat(e.status()).isEqualTo(401);
              assertThat(e.error()).isEqualTo("invalid_client");
              assertThat(e.getMessage())
                  .isEqualTo(
                      "the token endpoint "
                          + url
                          + " answered 401 invalid_client: AADSTS7000215: Invalid client secret"
                          + " provided: ****");
            });
  }

  /**
   * An endpoint's description is quoted as the call log writes a name ({@code LogText}): line
   * breaks, NEL, the line separator and text direction controls escaped, so it cannot break the
   * WARN line it is logged in, start a forged one, or turn the rest of it round.
   */
  @Test
  void anErrorDescriptionIsQuotedOnOneLineWithLineAndDirectionControlsEscaped() {
    tokenEndpoint.enqueue(
        json(
            401,
            "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid"
                + " client\\u0085INFO forged\\u2028WARN forged \\u202etxt.exe\\r\\nTrace ID: 1\"}"));
    OAuthClientCredentials credentials = oauth().clientSecret(CLIENT_SECRET).build();

    assertThatThrownBy(credentials::credential)
        .isInstanceOf(IOException.class)
        .cause()
        .hasMessageEndingWith(
            "answered 401 invalid_client: AADSTS7000215: Invalid client\\u0085INFO"
                + " forged\\u2028WARN forged \\u202etxt.exe\\r\\nTrace ID: 1");
  }

  @Test
  void anErrorCodeThatEchoesTheSecretIsMaskedToo() {
    tokenEndpoint.enqueue(json(400, "{\"error\":\"" + CLIENT_SECRET + "\"}"));
    OAuthClientCredentials credentials = oauth().clientSecret(CLIENT_SECRET).build();

    assertThatThrownBy(credentials::credential)
        .isInstanceOf(IOException.class)
        .hasMessageNotContaining(CLIENT_SECRET)
        .cause()
        .isInstanceOfSatisfying(
            TokenEndpointException.class,
            e -> {
              assertThat(e.error()).doesNotContain(CLIENT_SECRET);
              assertThat(e.getMessage()).doesNotContain(CLIENT_SECRET).contains("****");
            });
  }

  @Test
  void anEndpointThatEchoesTheFormItWasSentMasksTheSecretAsFormEncodedToo() {
    // Client secrets hold characters a form encodes: Entra ID's hold '~', generated ones '+', '/'
    // and '='. An endpoint quoting the request it refused quotes the secret so spelt.
    String secret = "oauth-client-SECRET~8Q.+/=";
    tokenEndpoint.enqueue(
        json(
            400,
            "{\"error\":\"invalid_request\",\"error_description\":\"bad request: client_secret="
                + URLEncoder.encode(secret, StandardCharsets.UTF_8)
                + "\"}"));
    OAuthClientCredentials credentials = oauth().clientSecret(secret).build();

    assertThatThrownBy(credentials::credential)
        .isInstanceOf(IOException.class)
        .cause()
        .isInstanceOfSatisfying(
            TokenEndpointException.class,
            e ->
                assertThat(e.getMessage())
                    .doesNotContain(URLEncoder.encode(secret, StandardCharsets.UTF_8))
                    .endsWith("answered 400 invalid_request: bad request: client_secret=****"));
  }

  @Test
  void anEndpointThatEchoesABasicHeaderMasksTheSecretInEverySpellingOfIt() {
    // client_secret_basic sends Base64(form(id) ":" form(secret)) (RFC 6749 §2.3.1). An endpoint
    // quoting what it refused may quote the header as sent, without its padding, or the secret
    // percent-encoded as RFC 3986 spells it (space as %20, '~' bare) or with lower-case hex.
    String secret = "oauth-client-SECRET~8Q.+/= x";
    String pair = "gateway-client:" + URLEncoder.encode(secret, StandardCharsets.UTF_8); // as sent
    String base64 = Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    List<String> echoes =
        List.of(
            "Authorization: Basic " + base64,
            "credentials " + base64.replace("=", ""),
            "credentials "
                + Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(pair.getBytes(StandardCharsets.UTF_8)),
            "client_secret=oauth-client-SECRET~8Q.%2B%2F%3D%20x",
            "client_secret=oauth-client-SECRET%7e8Q.%2b%2f%3d+x",
            "gateway-client:oauth-client-SECRET%7E8Q.%2B%2F%3D%20x");
    OAuthClientCredentials credentials = oauth().clientSecretBasic(secret).build();

    for (String echo : echoes) {
      tokenEndpoint.enqueue(
          json(
              401,
              "{\"error\":\"invalid_client\",\"error_description\":\"refused " + echo + "\"}"));
      assertThatThrownBy(credentials::credential)
          .isInstanceOf(IOException.class)
          .cause()
          .isInstanceOfSatisfying(
              TokenEndpointException.class,
              e ->
                  assertThat(e.getMessage())
                      .as("the message for an endpoint that answered '%s'", echo)
                      .doesNotContain(base64.substring(0, 24))
                      .doesNotContain("SECRET")
                      .contains("answered 401 invalid_client: refused ")
                      .contains("****"));
    }
  }

  @Test
  void anEndpointThatEchoesTheClientAssertionHasItMasked() throws Exception {
    // A private_key_jwt assertion is a credential for its five minutes: an endpoint quoting the
    // assertion it refused, or its signature, must not put it in the message and the WARN line.
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair keys = generator.generateKeyPair();
    List<String> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
    tokenEndpoint.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String jwt = form(request).get("client_assertion");
            sent.add(jwt);
            return json(
                401,
                "{\"error\":\"invalid_client\",\"error_description\":\"signature "
                    + jwt.substring(jwt.lastIndexOf('.') + 1)
                    + " does not verify for assertion "
                    + jwt
                    + "\"}");
          }
        });
    OAuthClientCredentials credentials =
        oauth().privateKeyJwt(keys.getPrivate(), "key-1", JwsAlgorithm.ES256).build();

    assertThatThrownBy(credentials::credential)
        .isInstanceOf(IOException.class)
        .cause()
        .isInstanceOfSatisfying(
            TokenEndpointException.class,
            e -> {
              String signature = sent.get(0).substring(sent.get(0).lastIndexOf('.') + 1);
              assertThat(e.getMessage())
                  .doesNotContain(signature)
                  .endsWith(
                      "answered 401 invalid_client: signature **** does not verify for"
                          + " assertion ****");
            });
  }

  @Test
  void aTokenUrlThatDoesNotParseIsRefusedWithoutQuotingIt() {
    String url = "https://login.example.com/token?key=url-SECRET value";

    assertThatThrownBy(() -> OAuthClientCredentials.builder().tokenUrl(url))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("url-SECRET")
        .hasNoCause();
  }

  @Test
  void anEndpointThatIsDownFailsWithTheEndpointNamed() throws Exception {
    String url = tokenEndpoint.url("/oauth2/token").toString();
    tokenEndpoint.close();
    OAuthClientCredentials credentials = oauth().clientSecret(CLIENT_SECRET).build();

    assertThatThrownBy(credentials::credential)
        .isInstanceOf(IOException.class)
        .hasMessageContaining(
            "the token endpoint " + url + " did not answer: java.net.ConnectException")
        .hasMessageNotContaining(CLIENT_SECRET)
        .cause()
        .isInstanceOfSatisfying(TokenEndpointException.class, e -> assertThat(e.status()).isZero());
  }

  @Test
  void aRefreshTimeoutOfCenturiesOrForeverWaitsForTheTokenEndpoint() throws Exception {
    // Longer than a long of nanoseconds (ChronoUnit.FOREVER's), the timeout saturates: the token
    // request waits as long as the endpoint takes.
    for (Duration forever :
        List.of(
            java.time.temporal.ChronoUnit.FOREVER.getDuration(),
            Duration.ofSeconds(Long.MAX_VALUE))) {
      tokenEndpoint.enqueue(token("access-token-SECRET-1", 3600));
      OAuthClientCredentials credentials =
          oauth().clientSecret(CLIENT_SECRET).refreshTimeout(forever).build();

      assertThat(credentials.credential().secret())
          .as("%s", forever)
          .isEqualTo("access-token-SECRET-1");
    }
  }

  @Test
  void aTokenEndpointThatStallsInItsBodyIsGivenUpOnWithinTheRefreshTimeout() throws Exception {
    tokenEndpoint.enqueue(
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "application/json")
            .body("{\"access_token\":\"access-token-SECRET-1\",\"expires_in\":3600}")
            .bodyDelay(30, TimeUnit.SECONDS) // the headers come at once, the body never in time
            .build());
    ExecutorService threads = Executors.newCachedThreadPool();
    CountDownLatch requestEnded = new CountDownLatch(1);
    OAuthClientCredentials credentials =
        oauth()
            .clientSecret(CLIENT_SECRET)
            .refreshTimeout(Duration.ofSeconds(1))
            .executor(
                task ->
                    threads.execute(
                        () -> {
                          try {
                            task.run();
                          } finally {
                            requestEnded.countDown();
                          }
                        }))
            .build();
    try {
      assertThatThrownBy(credentials::credential)
          .isInstanceOf(TokenRefreshException.class)
          .hasMessageContaining("no token within the refresh timeout of PT1S");

      // The token request itself is bounded by the refresh timeout, as the builder documents: its
      // thread and connection are not held until the endpoint finishes (or forever).
      assertThat(requestEnded.await(5, TimeUnit.SECONDS)).as("the token request ended").isTrue();
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void answersThatAreNotBearerTokensAreRefusedWithoutQuotingThem() {
    tokenEndpoint.enqueue(
        json(200, "{\"access_token\":\"access-token-SECRET\",\"token_type\":\"DPoP\"}"));
    tokenEndpoint.enqueue(json(200, "{\"token_type\":\"Bearer\"}"));
    tokenEndpoint.enqueue(json(200, "<html>access-token-SECRET</html>"));
    tokenEndpoint.enqueue(json(502, "<html>bad gateway</html>"));
    OAuthClientCredentials credentials = oauth().clientSecret(CLIENT_SECRET).build();

    assertThatThrownBy(credentials::credential)
        .hasMessageEndingWith("answered a token of type 'DPoP'; only Bearer is sent")
        .hasMessageNotContaining("access-token-SECRET");
    assertThatThrownBy(credentials::credential)
        .hasMessageEndingWith("answered without an access_token");
    assertThatThrownBy(credentials::credential)
        .hasMessageEndingWith("answered with a body that is not a JSON token response")
        .hasMessageNotContaining("access-token-SECRET");
    assertThatThrownBy(credentials::credential)
        .hasMessageEndingWith("answered 502 without an OAuth error");
  }

  @Test
  void expiresInMayBeAStringAndWithoutItATokenIsKeptForFiveMinutes() throws Exception {
    tokenEndpoint.enqueue(token("access-token-SECRET-1", "120"));
    tokenEndpoint.enqueue(token("access-token-SECRET-2", null));
    OAuthClientCredentials credentials =
        oauth().clientSecret(CLIENT_SECRET).refreshAhead(Duration.ZERO).build();

    assertThat(credentials.credential().secret()).isEqualTo("access-token-SECRET-1");
    clock.advance(Duration.ofSeconds(120));
    assertThat(credentials.credential().secret()).isEqualTo("access-token-SECRET-2");
    clock.advance(Duration.ofSeconds(299));
    assertThat(credentials.credential().secret()).isEqualTo("access-token-SECRET-2");
    assertThat(tokenEndpoint.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aHugeOrFractionalExpiresInIsAcceptedAsTheNumberOfSecondsItIs() throws Exception {
    // A number beyond a long (an endpoint's "never"), a numeric string of 13 digits, a number in
    // exponent form and one with a fraction: each is seconds, kept at most 100 years.
    tokenEndpoint.enqueue(
        token("access-token-SECRET-1", new BigInteger("123456789012345678901234567890")));
    tokenEndpoint.enqueue(token("access-token-SECRET-2", "1234567890123"));
    tokenEndpoint.enqueue(token("access-token-SECRET-3", 3.6e3));
    tokenEndpoint.enqueue(token("access-token-SECRET-4", "3599.9"));

    OAuthClientCredentials first = oauth().clientSecret(CLIENT_SECRET).build();
    assertThat(first.credential().secret()).isEqualTo("access-token-SECRET-1");
    OAuthClientCredentials second = oauth().clientSecret(CLIENT_SECRET).build();
    assertThat(second.credential().secret()).isEqualTo("access-token-SECRET-2");
    OAuthClientCredentials third =
        oauth().clientSecret(CLIENT_SECRET).refreshAhead(Duration.ZERO).build();
    assertThat(third.credential().secret()).isEqualTo("access-token-SECRET-3");
    OAuthClientCredentials fourth =
        oauth().clientSecret(CLIENT_SECRET).refreshAhead(Duration.ZERO).build();
    assertThat(fourth.credential().secret()).isEqualTo("access-token-SECRET-4");

    assertThat(first.credential().secret()).isEqualTo("access-token-SECRET-1");
    clock.advance(Duration.ofSeconds(3598)); // the fraction of 3599.9 is dropped
    assertThat(third.credential().secret()).isEqualTo("access-token-SECRET-3");
    assertThat(fourth.credential().secret()).isEqualTo("access-token-SECRET-4");
    clock.advance(Duration.ofDays(99L * 365));
    assertThat(first.credential().secret()).isEqualTo("access-token-SECRET-1");
    assertThat(second.credential().secret()).isEqualTo("access-token-SECRET-2");
    assertThat(tokenEndpoint.getRequestCount()).isEqualTo(4);
  }

  @Test
  void aNumericStringInExponentFormOrPaddedWithBlanksIsSecondsToo() throws Exception {
    // docs/security.md: expires_in is "a number or a numeric string of any size or form". A
    // string in exponent form, a fraction without leading digits, or a number padded with blanks
    // (as a server that formats its numbers may write them) is that many seconds, not a refusal
    // that leaves the backend without a token.
    tokenEndpoint.enqueue(token("access-token-SECRET-1", "3.6e3"));
    tokenEndpoint.enqueue(token("access-token-SECRET-2", " 3600 "));
    tokenEndpoint.enqueue(token("access-token-SECRET-3", "36E+2"));
    tokenEndpoint.enqueue(token("access-token-SECRET-4", ".5"));

    OAuthClientCredentials first =
        oauth().clientSecret(CLIENT_SECRET).refreshAhead(Duration.ZERO).build();
    assertThat(first.credential().secret()).isEqualTo("access-token-SECRET-1");
    OAuthClientCredentials second =
        oauth().clientSecret(CLIENT_SECRET).refreshAhead(Duration.ZERO).build();
    assertThat(second.credential().secret()).isEqualTo("access-token-SECRET-2");
    OAuthClientCredentials third =
        oauth().clientSecret(CLIENT_SECRET).refreshAhead(Duration.ZERO).build();
    assertThat(third.credential().secret()).isEqualTo("access-token-SECRET-3");
    OAuthClientCredentials fourth =
        oauth().clientSecret(CLIENT_SECRET).refreshAhead(Duration.ZERO).build();
    assertThat(fourth.credential().secret()).isEqualTo("access-token-SECRET-4");

    clock.advance(Duration.ofSeconds(3599));
    assertThat(first.credential().secret()).isEqualTo("access-token-SECRET-1");
    assertThat(second.credential().secret()).isEqualTo("access-token-SECRET-2");
    assertThat(third.credential().secret()).isEqualTo("access-token-SECRET-3");
    assertThat(tokenEndpoint.getRequestCount()).isEqualTo(4);
  }

  @Test
  void anExpiresInThatIsNoNumberIsStillRefused() {
    tokenEndpoint.enqueue(token("access-token-SECRET-1", "soon"));
    tokenEndpoint.enqueue(token("access-token-SECRET-2", "1e"));
    OAuthClientCredentials credentials = oauth().clientSecret(CLIENT_SECRET).build();

    assertThatThrownBy(credentials::credential)
        .hasMessageEndingWith("answered an expires_in that is not a number of seconds")
        .hasMessageNotContaining("access-token-SECRET");
    assertThatThrownBy(credentials::credential)
        .hasMessageEndingWith("answered an expires_in that is not a number of seconds");
  }

  @Test
  void aNullTokenTypeOrExpiresInCountsAsAbsent() throws Exception {
    // A server that writes every field of its answer, set or not, as many JSON mappers do.
    tokenEndpoint.enqueue(
        json(
            200,
            "{\"access_token\":\"access-token-SECRET-1\",\"token_type\":null,"
                + "\"expires_in\":null,\"scope\":null}"));
    OAuthClientCredentials credentials =
        oauth().clientSecret(CLIENT_SECRET).refreshAhead(Duration.ZERO).build();

    assertThat(credentials.credential().secret()).isEqualTo("access-token-SECRET-1");
    clock.advance(TokenEndpoint.DEFAULT_LIFETIME.minusSeconds(1));
    assertThat(credentials.credential().secret()).isEqualTo("access-token-SECRET-1");
    assertThat(tokenEndpoint.getRequestCount()).isEqualTo(1);
  }

  @Test
  void toStringNamesTheClientAndEndpointButNoSecret() throws Exception {
    tokenEndpoint.enqueue(token("access-token-SECRET-1", 3600));
    OAuthClientCredentials credentials =
        oauth().clientSecret(CLIENT_SECRET).scope("llm.invoke").build();
    credentials.credential();

    assertThat(credentials.toString())
        .isEqualTo(
            "OAuthClientCredentials{client 'gateway-client' at "
                + tokenEndpoint.url("/oauth2/token")
                + ", client_secret_post, scope 'llm.invoke'}")
        .doesNotContain("SECRET");
  }

  @Test
  void theBuilderRefusesWhatCannotWork() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair ec = generator.generateKeyPair();

    assertThatThrownBy(
            () -> OAuthClientCredentials.builder().tokenUrl("http://login.example.com/t"))
        .hasMessage(
            "the token URL must use https (http only to a loopback address), was"
                + " http://login.example.com/t");
    assertThatThrownBy(
            () -> OAuthClientCredentials.builder().tokenUrl("https://u:oauth-client-SECRET@x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining(CLIENT_SECRET);
    assertThatThrownBy(() -> oauth().build())
        .hasMessage(
            "a way to authenticate is required: clientSecret, clientSecretBasic or privateKeyJwt");
    assertThatThrownBy(() -> OAuthClientCredentials.builder().clientId("c").build())
        .hasMessage("tokenUrl is required");
    assertThatThrownBy(() -> oauth().privateKeyJwt(ec.getPrivate(), "k", JwsAlgorithm.RS256))
        .hasMessage("RS256 signs with an RSA private key; the key given is EC");
    assertThatThrownBy(() -> oauth().parameter("client_secret", "x"))
        .hasMessage("'client_secret' is set by the builder's own methods, not by parameter()");
    assertThatThrownBy(() -> oauth().scope("two words"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static JsonNode decode(String part) throws IOException {
    return MAPPER.readTree(Base64.getUrlDecoder().decode(part));
  }
}
