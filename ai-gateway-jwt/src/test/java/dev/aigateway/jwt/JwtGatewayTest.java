package dev.aigateway.jwt;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.RSAKey;
import dev.aigateway.api.AccessInfo;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.access.AccessPolicy;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bearer tokens validated in a wrapped OkHttp client, before anything reaches the backend. */
class JwtGatewayTest {

  private static final String ANSWER =
      "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\",\"choices\":[{"
          + "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hello\"},"
          + "\"finish_reason\":\"stop\"}],"
          + "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2,\"total_tokens\":10}}";

  private final MockWebServer backend = new MockWebServer();
  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();
  private Issuer issuer;
  private RSAKey key;
  private OkHttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    backend.setDispatcher(
        new mockwebserver3.Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return new MockResponse.Builder()
                .code(200)
                .addHeader("Content-Type", "application/json")
                .body(ANSWER)
                .build();
          }
        });
    backend.start();
    issuer = new Issuer();
    key = Issuer.rsaKey("k1");
    issuer.publish(key.toPublicJWK());
    AiGateway gateway =
        AiGateway.builder()
            .listener(events::add)
            .callerResolver(resolver().stripToken(true).build())
            .accessPolicy(
                AccessPolicy.denyByDefault().role("analyst", rule -> rule.models("gpt-4o-mini*")))
            .build();
    client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
  }

  @AfterEach
  void tearDown() {
    backend.close();
    issuer.close();
  }

  private Response call(String token, String model) throws Exception {
    String body =
        "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    return post(client, "/v1/chat/completions", body, "Authorization", "Bearer " + token);
  }

  /**
   * Posts the JSON {@code body} to {@code path} of the backend through {@code client}, with the
   * header names and values {@code headers}.
   */
  private Response post(OkHttpClient client, String path, String body, String... headers)
      throws Exception {
    Request.Builder request =
        new Request.Builder()
            .url(backend.url(path))
            .post(RequestBody.create(body, MediaType.get("application/json")));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return client.newCall(request.build()).execute();
  }

  /** A resolver of the test issuer's tokens for the test audience. */
  private JwtCallerResolver.Builder resolver() {
    return JwtCallerResolver.builder(issuer.jwksUrl())
        .issuer(Issuer.ISSUER)
        .audience(Issuer.AUDIENCE);
  }

  private static String token(RSAKey key, Instant expiry) throws Exception {
    return Issuer.sign(
        key,
        Issuer.validClaims(Instant.now())
            .subject("alice")
            .claim("roles", List.of("analyst"))
            .expirationTime(Date.from(expiry))
            .build());
  }

  @Test
  void validTokensCallerIsTheConsumerAndItsRoleDecidesAndTheTokenIsNotForwarded() throws Exception {
    String token = token(key, Instant.now().plus(Duration.ofHours(1)));

    try (Response response = call(token, "gpt-4o-mini")) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    }

    assertThat(backend.getRequestCount()).isEqualTo(1);
    assertThat(backend.takeRequest().getHeaders().get("Authorization")).isNull();
    GatewayEvent event = events.get(0);
    assertThat(event.consumer()).isEqualTo("alice");
    assertThat(event.access().rule()).isEqualTo("role:analyst");
    assertThat(event.toString()).doesNotContain(token);
  }

  @Test
  void aTokenInAHeaderOfItsOwnDoesNotReachTheProviderWhileTheProvidersKeyDoes() throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .listener(events::add)
            .callerResolver(resolver().header("X-User-Token").build())
            .build();
    OkHttpClient wrapped = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    String token = token(key, Instant.now().plus(Duration.ofHours(1)));
    String body =
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    try (Response response =
        post(
            wrapped,
            "/v1/chat/completions",
            body,
            "X-User-Token",
            "Bearer " + token,
            "Authorization",
            "Bearer sk-provider-key")) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    }

    RecordedRequest sent = backend.takeRequest();
    assertThat(sent.getHeaders().get("X-User-Token")).isNull();
    assertThat(sent.getHeaders().get("Authorization")).isEqualTo("Bearer sk-provider-key");
    assertThat(events.get(0).consumer()).isEqualTo("alice");
  }

  @Test
  void validTokenForAModelItsRolesDoNotAllowIsDenied() throws Exception {
    try (Response response = call(token(key, Instant.now().plusSeconds(600)), "gpt-4o")) {
      assertThat(response.code()).isEqualTo(403);
      assertThat(response.body().string()).contains("access_denied").contains("'alice'");
    }
    assertThat(backend.getRequestCount()).isZero();
  }

  @Test
  void expiredTokenIsAnswered401WithoutEchoingItAndNothingIsSent() throws Exception {
    String expired = token(key, Instant.now().minus(Duration.ofHours(1)));

    try (Response response = call(expired, "gpt-4o-mini")) {
      assertThat(response.code()).isEqualTo(401);
      assertThat(response.header("x-ai-gateway-rejected")).isEqualTo("invalid-token");
      String body = response.body().string();
      assertThat(body)
          .contains("\"code\":\"invalid_token\"")
          .contains("expired")
          .doesNotContain(expired)
          .doesNotContain(expired.split("\\.")[1]);
    }

    assertThat(backend.getRequestCount()).isZero();
    GatewayEvent event = events.get(0);
    assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(event.rejection()).isEqualTo(RejectionReason.INVALID_TOKEN);
    assertThat(event.access().decision()).isEqualTo(AccessInfo.Decision.INVALID_CREDENTIAL);
    assertThat(event.consumer()).isEqualTo(AiGateway.ANONYMOUS);
  }

  @Test
  void anAnthropicCallWithAnExpiredTokenIsAnswered401InAnthropicsShape() throws Exception {
    String expired = token(key, Instant.now().minus(Duration.ofHours(1)));
    String body =
        "{\"model\":\"claude-sonnet-4\",\"max_tokens\":50,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    try (Response response =
        post(client, "/v1/messages", body, "Authorization", "Bearer " + expired)) {
      assertThat(response.code()).isEqualTo(401);
      assertThat(response.header("x-ai-gateway-rejected")).isEqualTo("invalid-token");
      String answer = response.body().string();
      assertThat(answer)
          .contains("\"type\":\"authentication_error\"")
          .contains("expired")
          .doesNotContain(expired.split("\\.")[1]);
    }

    assertThat(backend.getRequestCount()).isZero();
    assertThat(events.get(0).rejection()).isEqualTo(RejectionReason.INVALID_TOKEN);
  }

  @Test
  void forgedTokenIsAnswered401() throws Exception {
    RSAKey forger = Issuer.rsaKey("k1");

    try (Response response = call(token(forger, Instant.now().plusSeconds(600)), "gpt-4o-mini")) {
      assertThat(response.code()).isEqualTo(401);
      assertThat(response.body().string()).contains("signature is invalid");
    }
    assertThat(backend.getRequestCount()).isZero();
  }

  @Test
  void aValidTokenWithoutItsConsumerClaimCannotBorrowTheConsumerKeysId() throws Exception {
    // The consumer key is a header the caller sets; a token proves the consumer only through its
    // consumer claim, so a token without one must not leave the consumer to that header.
    AiGateway gateway =
        AiGateway.builder()
            .listener(events::add)
            .consumerKey(dev.aigateway.api.KeyResolvers.header("x-consumer-id"))
            .callerResolver(resolver().stripToken(true).build())
            .accessPolicy(AccessPolicy.denyByDefault().consumer("admin", rule -> rule.models("*")))
            .build();
    OkHttpClient spoofing = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    String token =
        Issuer.sign(
            key,
            Issuer.validClaims(Instant.now())
                .subject(null)
                .expirationTime(Date.from(Instant.now().plusSeconds(600)))
                .build());
    String body = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    try (Response response =
        post(
            spoofing,
            "/v1/chat/completions",
            body,
            "Authorization",
            "Bearer " + token,
            "x-consumer-id",
            "admin")) {
      assertThat(response.code()).isEqualTo(401);
      assertThat(response.body().string()).contains("invalid_token").contains("sub");
    }

    assertThat(backend.getRequestCount()).isZero();
    assertThat(events.get(0).rejection()).isEqualTo(RejectionReason.INVALID_TOKEN);
  }
}
