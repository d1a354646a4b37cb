package dev.aigateway.azure.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.exception.ClientAuthenticationException;
import dev.aigateway.api.Attempt;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.spi.Credential;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
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

class EntraIdCredentialsTest {

  private static final int CALLS = 64;

  private final ManualClock clock = new ManualClock(Instant.parse("2026-06-01T10:00:00Z"));
  private final MockWebServer azure = new MockWebServer();
  private final List<String> bearersSeen = new CopyOnWriteArrayList<>();
  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();

  /** The token the Azure OpenAI backend accepts. */
  private volatile String acceptedToken = "access-token-SECRET-1";

  /**
   * A real {@link TokenCredential}, as azure-identity's are used: it counts the tokens it issues
   * (access-token-SECRET-1, -2, …, valid for an hour), remembers the scopes asked for, and can be
   * slow or fail.
   */
  private final class IssuingCredential implements TokenCredential {
    final AtomicInteger issued = new AtomicInteger();
    final List<List<String>> scopes = new CopyOnWriteArrayList<>();
    volatile long delayMillis;
    volatile RuntimeException failure;

    @Override
    public reactor.core.publisher.Mono<AccessToken> getToken(TokenRequestContext request) {
      return reactor.core.publisher.Mono.fromCallable(() -> getTokenSync(request));
    }

    @Override
    public AccessToken getTokenSync(TokenRequestContext request) {
      scopes.add(request.getScopes());
      try {
        Thread.sleep(delayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (failure != null) {
        throw failure;
      }
      int n = issued.incrementAndGet();
      return new AccessToken(
          "access-token-SECRET-" + n,
          clock.instant().plus(Duration.ofHours(1)).atOffset(ZoneOffset.UTC));
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    azure.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String authorization = request.getHeaders().get("Authorization");
            bearersSeen.add(authorization);
            if (("Bearer " + acceptedToken).equals(authorization)
                && request.getHeaders().get("api-key") == null) {
              return new MockResponse.Builder()
                  .code(200)
                  .addHeader("Content-Type", "application/json")
                  .body(
                      "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\","
                          + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                          + "\"content\":\"Hi\"},\"finish_reason\":\"stop\"}],"
                          + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,"
                          + "\"total_tokens\":7}}")
                  .build();
            }
            return new MockResponse.Builder()
                .code(401)
                .addHeader("Content-Type", "application/json")
                .body("{\"error\":{\"code\":\"401\",\"message\":\"Access denied\"}}")
                .build();
          }
        });
    azure.start();
  }

  @AfterEach
  void tearDown() {
    azure.close();
  }

  private OkHttpClient client(EntraIdCredentials credentials) {
    Backend.Builder backend =
        Backend.azureOpenAi("eastus", azure.url("/").toString(), "2024-10-21")
            .model("gpt-4o", "gpt-4o-eastus")
            .credential(credentials);
    GatewayListener listener = events::add;
    return OkHttpAiGateway.wrap(
        new OkHttpClient(),
        AiGateway.builder()
            .clock(clock)
            .backendPool(BackendPool.builder().backend(backend).build())
            .listener(listener)
            .build());
  }

  private static int chat(OkHttpClient client) throws IOException {
    Request request =
        new Request.Builder()
            .url("http://localhost:1/v1/chat/completions")
            .post(
                RequestBody.create(
                    "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                    MediaType.get("application/json")))
            .build();
    try (Response response = client.newCall(request).execute()) {
      response.body().string();
      return response.code();
    }
  }

  @Test
  void tokensAreAskedForTheCognitiveServicesScopeAndCachedUntilDue() throws Exception {
    IssuingCredential credential = new IssuingCredential();
    EntraIdCredentials credentials = EntraIdCredentials.builder(credential).clock(clock).build();

    Credential first = credentials.credential();
    clock.advance(Duration.ofMinutes(50));
    Credential cached = credentials.credential();
    clock.advance(Duration.ofMinutes(10));
    Credential renewed = credentials.credential();

    assertThat(first.kind()).isEqualTo(Credential.Kind.BEARER_TOKEN);
    assertThat(first.secret()).isEqualTo("access-token-SECRET-1");
    assertThat(cached).isSameAs(first);
    assertThat(renewed.secret()).isEqualTo("access-token-SECRET-2");
    assertThat(credential.scopes)
        .containsOnly(List.of("https://cognitiveservices.azure.com/.default"));
    assertThat(EntraIdCredentials.DEFAULT_SCOPE)
        .isEqualTo("https://cognitiveservices.azure.com/.default");
  }

  @Test
  void aScopeOfOnesOwnIsAskedFor() throws Exception {
    IssuingCredential credential = new IssuingCredential();

    EntraIdCredentials.builder(credential).scope("api://llm-proxy/.default").build().credential();

    assertThat(credential.scopes).containsExactly(List.of("api://llm-proxy/.default"));
  }

  @Test
  void sixtyFourConcurrentCallsToAzureOpenAiShareOneToken() throws Exception {
    IssuingCredential credential = new IssuingCredential();
    credential.delayMillis = 300;
    OkHttpClient client = client(EntraIdCredentials.builder(credential).clock(clock).build());
    ExecutorService callers = Executors.newFixedThreadPool(CALLS);
    try {
      CyclicBarrier start = new CyclicBarrier(CALLS);
      List<Future<Integer>> calls = new ArrayList<>();
      for (int i = 0; i < CALLS; i++) {
        calls.add(
            callers.submit(
                () -> {
                  start.await(5, TimeUnit.SECONDS);
                  return chat(client);
                }));
      }
      for (Future<Integer> call : calls) {
        assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo(200);
      }
    } finally {
      callers.shutdownNow();
    }

    assertThat(credential.issued).hasValue(1);
    assertThat(bearersSeen).hasSize(CALLS).containsOnly("Bearer access-token-SECRET-1");
  }

  @Test
  void aTokenAzureOpenAiRefusesIsReplacedAndTheCallRetriedOnce() throws Exception {
    IssuingCredential credential = new IssuingCredential();
    acceptedToken = "access-token-SECRET-2";
    OkHttpClient client = client(EntraIdCredentials.builder(credential).clock(clock).build());

    assertThat(chat(client)).isEqualTo(200);

    assertThat(credential.issued).hasValue(2);
    assertThat(bearersSeen)
        .containsExactly("Bearer access-token-SECRET-1", "Bearer access-token-SECRET-2");
    assertThat(events).hasSize(1);
    assertThat(events.get(0).routing().attempts())
        .extracting(Attempt::status, Attempt::credentialRetry)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(401, false),
            org.assertj.core.groups.Tuple.tuple(200, true));
  }

  @Test
  void aCredentialThatFailsGivesAClearIOExceptionAndTheNextCallAsksAgain() throws Exception {
    IssuingCredential credential = new IssuingCredential();
    credential.failure =
        new ClientAuthenticationException("AADSTS700016: Application not found", null);
    EntraIdCredentials credentials = EntraIdCredentials.builder(credential).clock(clock).build();

    assertThatThrownBy(credentials::credential)
        .isInstanceOf(IOException.class)
        .hasMessage(
            "Microsoft Entra ID, scope 'https://cognitiveservices.azure.com/.default', from"
                + " IssuingCredential: the token could not be obtained: IssuingCredential gave no"
                + " token for scope 'https://cognitiveservices.azure.com/.default':"
                + " com.azure.core.exception.ClientAuthenticationException: AADSTS700016:"
                + " Application not found");

    credential.failure = null;
    assertThat(credentials.credential().secret()).isEqualTo("access-token-SECRET-1");
  }

  /**
   * The identity library's message is quoted as the call log writes a name ({@code LogText}): its
   * line breaks (azure-identity ends a message with lines of trace and correlation ids), NEL, the
   * line separator and text direction controls escaped, so it cannot break the WARN line it is
   * logged in, start a forged one, or turn the rest of it round.
   */
  @Test
  void aFailureMessageIsQuotedOnOneLineWithLineAndDirectionControlsEscaped() {
    IssuingCredential credential = new IssuingCredential();
    credential.failure =
        new ClientAuthenticationException(
            "AADSTS700016: Application not found\r\nTrace ID: 1\u0085INFO forged\u2028WARN"
                + " forged \u202etxt.exe",
            null);
    EntraIdCredentials credentials = EntraIdCredentials.builder(credential).clock(clock).build();

    assertThatThrownBy(credentials::credential)
        .isInstanceOf(IOException.class)
        .hasMessageEndingWith(
            "ClientAuthenticationException: AADSTS700016: Application not found\\r\\nTrace ID:"
                + " 1\\u0085INFO forged\\u2028WARN forged \\u202etxt.exe");
  }

  /**
   * An exception whose causes lead back to itself (nothing in Java forbids a cycle longer than one)
   * is described once, down to its last cause not seen before, instead of being walked for ever on
   * the refresh thread while every call waits out its refresh timeout.
   */
  @Test
  void aFailureWhoseCausesFormACycleIsDescribedAndReported() throws Exception {
    IssuingCredential credential = new IssuingCredential();
    RuntimeException outer = new RuntimeException("identity endpoint unreachable");
    IllegalStateException inner = new IllegalStateException("connect failed");
    outer.initCause(inner);
    inner.initCause(outer);
    credential.failure = outer;
    EntraIdCredentials credentials =
        EntraIdCredentials.builder(credential)
            .clock(clock)
            .refreshTimeout(Duration.ofSeconds(5))
            .build();

    assertThatThrownBy(credentials::credential)
        .isInstanceOf(IOException.class)
        .hasMessageEndingWith(
            "IssuingCredential gave no token for scope"
                + " 'https://cognitiveservices.azure.com/.default': java.lang.RuntimeException:"
                + " identity endpoint unreachable (cause: java.lang.IllegalStateException: connect"
                + " failed)");
  }

  @Test
  void toStringNamesTheScopeAndCredentialButNeverAToken() throws Exception {
    IssuingCredential credential = new IssuingCredential();
    EntraIdCredentials credentials = EntraIdCredentials.of(credential);
    credentials.credential();

    assertThat(credentials.toString())
        .isEqualTo(
            "EntraIdCredentials{Microsoft Entra ID, scope"
                + " 'https://cognitiveservices.azure.com/.default', from IssuingCredential}");
    assertThat(EntraIdCredentials.managedIdentity().toString())
        .endsWith("from ManagedIdentityCredential}");
    assertThat(EntraIdCredentials.defaultAzure().toString())
        .endsWith("from DefaultAzureCredential}");
  }
}
