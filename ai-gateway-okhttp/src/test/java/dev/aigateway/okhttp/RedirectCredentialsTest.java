package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.Credentials;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.routing.BackendPool;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A backend that redirects a call to another origin: the credential the gateway set for the backend
 * must not follow the call there (OkHttp itself removes only {@code Authorization}), whichever way
 * the client was wrapped; a redirect within the backend's origin keeps it.
 */
class RedirectCredentialsTest {

  private static final String KEY = "azure-key-SECRET-1";

  private final MockWebServer backend = new MockWebServer();
  private final MockWebServer elsewhere = new MockWebServer();
  private final MockWebServer appTarget = new MockWebServer();

  @BeforeEach
  void setUp() throws IOException {
    backend.start();
    elsewhere.start();
    appTarget.start();
  }

  @AfterEach
  void tearDown() {
    backend.close();
    elsewhere.close();
    appTarget.close();
  }

  private AiGateway gateway(dev.aigateway.core.routing.Backend.Builder only) {
    return AiGateway.builder().backendPool(BackendPool.builder().backend(only).build()).build();
  }

  private dev.aigateway.core.routing.Backend.Builder azure() {
    return dev.aigateway.core.routing.Backend.azureOpenAi(
            "eastus", backend.url("/").toString(), "2024-10-21")
        .credential(Credentials.apiKey(KEY));
  }

  private Request chat() {
    return post(appTarget.url("/v1/chat/completions").toString(), chatRequest("gpt-4o", "Hi", ""));
  }

  private static MockResponse redirectTo(String location) {
    return new MockResponse.Builder().code(307).addHeader("Location", location).build();
  }

  private static String answer(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      return response.code() + " " + response.body().string();
    }
  }

  @Test
  void anAzureKeyDoesNotFollowARedirectToAnotherOrigin() throws Exception {
    backend.enqueue(redirectTo(elsewhere.url("/moved").toString()));
    elsewhere.enqueue(Backend.json(chatCompletion("gpt-4o", 5, 5)));
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway(azure()));

    assertThat(answer(client, chat())).startsWith("200");

    assertThat(backend.takeRequest().getHeaders().get("api-key")).isEqualTo(KEY);
    RecordedRequest redirected = elsewhere.takeRequest(5, TimeUnit.SECONDS);
    assertThat(redirected.getHeaders().get("api-key")).isNull();
    assertThat(redirected.getHeaders().toString()).doesNotContain(KEY);
  }

  @Test
  void aLazilyWrappedClientKeepsTheKeyFromAnotherOriginToo() throws Exception {
    backend.enqueue(redirectTo(elsewhere.url("/moved").toString()));
    elsewhere.enqueue(Backend.json(chatCompletion("gpt-4o", 5, 5)));
    AiGateway gateway = gateway(azure());
    OkHttpClient client = OkHttpAiGateway.wrapLazily(new OkHttpClient(), () -> gateway);

    assertThat(answer(client, chat())).startsWith("200");

    assertThat(backend.takeRequest().getHeaders().get("api-key")).isEqualTo(KEY);
    assertThat(elsewhere.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("api-key")).isNull();
  }

  @Test
  void aGeminiKeyDoesNotFollowARedirectToAnotherOrigin() throws Exception {
    backend.enqueue(redirectTo(elsewhere.url("/moved").toString()));
    elsewhere.enqueue(Backend.json(chatCompletion("gemini-2.0-flash", 5, 5)));
    OkHttpClient client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            gateway(
                dev.aigateway.core.routing.Backend.gemini("g", backend.url("/").toString())
                    .credential(Credentials.apiKey(KEY))));

    assertThat(
            answer(
                client,
                post(
                    appTarget.url("/v1/chat/completions").toString(),
                    chatRequest("gemini-2.0-flash", "Hi", ""))))
        .startsWith("200");

    assertThat(backend.takeRequest().getHeaders().toString()).contains(KEY);
    assertThat(elsewhere.takeRequest(5, TimeUnit.SECONDS).getHeaders().toString())
        .doesNotContain(KEY);
  }

  @Test
  void aRedirectWithinTheBackendsOriginKeepsTheKey() throws Exception {
    backend.enqueue(redirectTo(backend.url("/moved").toString()));
    backend.enqueue(Backend.json(chatCompletion("gpt-4o", 5, 5)));
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway(azure()));

    assertThat(answer(client, chat())).startsWith("200");

    assertThat(backend.takeRequest().getHeaders().get("api-key")).isEqualTo(KEY);
    assertThat(backend.takeRequest().getHeaders().get("api-key")).isEqualTo(KEY);
  }

  @Test
  void aCallTheGatewayDoesNotGovernIsRedirectedAsOkHttpRedirectsIt() throws Exception {
    appTarget.enqueue(redirectTo(elsewhere.url("/moved").toString()));
    elsewhere.enqueue(new MockResponse.Builder().code(200).body("ok").build());
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway(azure()));

    Request notAnLlmCall =
        new Request.Builder()
            .url(appTarget.url("/health"))
            .header("api-key", "the-applications-own")
            .build();
    assertThat(answer(client, notAnLlmCall)).isEqualTo("200 ok");

    assertThat(elsewhere.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("api-key"))
        .isEqualTo("the-applications-own");
  }

  @Test
  void theGuardIsOnEveryClientWhoseGatewayCanSetABackendsHeadersAndOnlyThere() {
    OkHttpClient plain = new OkHttpClient();
    assertThat(OkHttpAiGateway.wrap(plain, gateway(azure())).networkInterceptors())
        .containsExactly(OkHttpAiGateway.redirectGuard());
    assertThat(OkHttpAiGateway.wrapLazily(plain, () -> gateway(azure())).networkInterceptors())
        .containsExactly(OkHttpAiGateway.redirectGuard());
    // Without a backend pool every call goes where the application sent it, with its own
    // headers only: nothing for the guard to remove, so no network interceptor on every call.
    AiGateway direct = AiGateway.builder().build();
    assertThat(OkHttpAiGateway.wrap(plain, direct).networkInterceptors()).isEmpty();
  }
}
