package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.routing.BackendPool;
import java.io.IOException;
import java.util.List;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PassThroughTest {

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();
  private OkHttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    server.start();
    client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .consumerKey(KeyResolvers.header("x-consumer-id"))
                .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100_000))
                .listener(events)
                .build());
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  @Test
  void nonLlmCallsPassThroughByteIdenticalAndUnobserved() throws Exception {
    byte[] odd = {0, 1, 2, (byte) 0xff, '{', '"'};
    server.enqueue(
        new MockResponse.Builder()
            .code(201)
            .addHeader("X-Backend", "yes")
            .addHeader("Content-Type", "application/octet-stream")
            .body(new okio.Buffer().write(odd))
            .build());
    Request request =
        new Request.Builder()
            .url(server.url("/v1/files"))
            .header("x-consumer-id", "team-a")
            .header("Authorization", "Bearer sk-test-123")
            .post(RequestBody.create(odd, MediaType.get("application/octet-stream")))
            .build();

    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(201);
      assertThat(response.header("X-Backend")).isEqualTo("yes");
      assertThat(response.body().bytes()).isEqualTo(odd);
    }
    RecordedRequest sent = server.takeRequest();
    assertThat(sent.getBody().toByteArray()).isEqualTo(odd);
    assertThat(sent.getHeaders().get("Authorization")).isEqualTo("Bearer sk-test-123");
    assertThat(events.none()).isTrue();
  }

  @Test
  void headersThatAddressOnlyTheGatewayDoNotReachABackendOnCallsItDoesNotGovern() throws Exception {
    // An SDK's default headers ride on every call it makes: its file uploads and model listings
    // too, which the gateway passes through without governing them.
    MockWebServer other = new MockWebServer();
    other.start();
    MockWebServer pooled = new MockWebServer();
    pooled.start();
    try {
      OkHttpClient forwarding =
          OkHttpAiGateway.wrap(
              new OkHttpClient(),
              AiGateway.builder()
                  .consumerKey(KeyResolvers.header("x-consumer-id"))
                  .forwardGatewayHeaders(true)
                  .build());
      OkHttpClient routed =
          OkHttpAiGateway.wrap(
              new OkHttpClient(),
              AiGateway.builder()
                  .consumerKey(KeyResolvers.header("x-consumer-id"))
                  .backendPool(
                      BackendPool.builder()
                          .backend(
                              dev.aigateway.core.routing.Backend.openAiCompatible(
                                  "pooled", pooled.url("/").toString()))
                          .build())
                  .build());
      for (int i = 0; i < 4; i++) {
        server.enqueue(new MockResponse.Builder().code(200).body("{}").build());
      }
      other.enqueue(new MockResponse.Builder().code(200).body("{}").build());
      pooled.enqueue(new MockResponse.Builder().code(200).body("{}").build());
      Request chat =
          post(
              server.url("/v1/chat/completions").toString(),
              "{\"model\":\"gpt-4o-mini\",\"messages\":[]}",
              "x-consumer-id",
              "team-a");

      // A governed call to the backend, then the SDK's file listing there.
      client.newCall(chat).execute().close();
      client.newCall(files(server)).execute().close();
      // The application's own service, called through the same client: sent as it is.
      client.newCall(files(other)).execute().close();
      // A pool's backend, before any call went there.
      routed.newCall(files(pooled)).execute().close();
      // forwardGatewayHeaders(true) sends them on, as on the calls the gateway governs.
      forwarding.newCall(chat).execute().close();
      forwarding.newCall(files(server)).execute().close();

      assertThat(server.takeRequest().getHeaders().get("x-consumer-id")).isNull();
      RecordedRequest passed = server.takeRequest();
      assertThat(passed.getTarget()).isEqualTo("/v1/files?purpose=batch");
      assertThat(passed.getHeaders().get("x-consumer-id")).isNull();
      assertThat(passed.getHeaders().get("x-ai-gateway-cache-control")).isNull();
      assertThat(passed.getHeaders().get("Authorization")).isEqualTo("Bearer sk-test-123");
      assertThat(passed.getHeaders().get("X-Request-Id")).isEqualTo("r-1");
      RecordedRequest own = other.takeRequest();
      assertThat(own.getHeaders().get("x-consumer-id")).isEqualTo("team-a");
      assertThat(own.getHeaders().get("x-ai-gateway-cache-control")).isEqualTo("no-store");
      assertThat(pooled.takeRequest().getHeaders().get("x-consumer-id")).isNull();
      assertThat(server.takeRequest().getHeaders().get("x-consumer-id")).isEqualTo("team-a");
      RecordedRequest forwarded = server.takeRequest();
      assertThat(forwarded.getHeaders().get("x-consumer-id")).isEqualTo("team-a");
      assertThat(forwarded.getHeaders().get("x-ai-gateway-cache-control")).isEqualTo("no-store");
    } finally {
      other.close();
      pooled.close();
    }
  }

  @Test
  void aProvidersApiHostGetsNoGatewayHeadersEvenBeforeAGovernedCallWentThere() throws Exception {
    // A direct route (no pool): an SDK's first request is often its model listing, sent before
    // any chat. The provider's public API hosts are LLM origins from the first request on; the
    // names resolve to the MockWebServer here.
    java.net.InetAddress local = java.net.InetAddress.getByName(server.getHostName());
    OkHttpClient direct =
        OkHttpAiGateway.wrap(
            new OkHttpClient.Builder().dns(host -> List.of(local)).build(),
            AiGateway.builder()
                .consumerKey(KeyResolvers.header("x-consumer-id"))
                .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100_000))
                .build());
    List<String> providers =
        List.of(
            "api.openai.com",
            "my-resource.openai.azure.com",
            "my-resource.cognitiveservices.azure.com",
            "my-project.services.ai.azure.com",
            "api.anthropic.com",
            "generativelanguage.googleapis.com",
            "us-central1-aiplatform.googleapis.com",
            "aiplatform.googleapis.com",
            "bedrock-runtime.us-east-1.amazonaws.com",
            "bedrock-runtime-fips.us-east-1.amazonaws.com");
    for (int i = 0; i <= providers.size(); i++) {
      server.enqueue(new MockResponse.Builder().code(200).body("{}").build());
    }

    for (String host : providers) {
      HttpUrl url =
          new HttpUrl.Builder()
              .scheme("http")
              .host(host)
              .port(server.getPort())
              .encodedPath("/v1/models")
              .build();
      direct
          .newCall(
              new Request.Builder()
                  .url(url)
                  .header("x-consumer-id", "team-a")
                  .header("Authorization", "Bearer sk-test-123")
                  .get()
                  .build())
          .execute()
          .close();
      RecordedRequest sent = server.takeRequest();
      assertThat(sent.getHeaders().get("x-consumer-id")).as(host).isNull();
      assertThat(sent.getHeaders().get("Authorization")).isEqualTo("Bearer sk-test-123");
    }
    // Another host (the application's own service) keeps them, as before.
    direct.newCall(files(server)).execute().close();
    assertThat(server.takeRequest().getHeaders().get("x-consumer-id")).isEqualTo("team-a");
  }

  /** An SDK's file listing at {@code server}, with its default headers. */
  /**
   * Sends a chat call ("Hi" to gpt-4o) with these header names and values through {@code client}
   * and returns the answer's body.
   */
  private String chatHi(OkHttpClient client, String... headers) throws IOException {
    try (Response response =
        client
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    Backend.chatRequest("gpt-4o", "Hi", ""),
                    headers))
            .execute()) {
      return response.body().string();
    }
  }

  private static Request files(MockWebServer server) {
    return new Request.Builder()
        .url(server.url("/v1/files?purpose=batch"))
        .header("x-consumer-id", "team-a")
        .header("X-AI-Gateway-Cache-Control", "no-store")
        .header("Authorization", "Bearer sk-test-123")
        .header("X-Request-Id", "r-1")
        .get()
        .build();
  }

  @Test
  void aWrappedClientIsGovernedAndItsOriginalIsNot() {
    OkHttpClient plain =
        new OkHttpClient.Builder().addInterceptor(chain -> chain.proceed(chain.request())).build();
    OkHttpClient wrapped = OkHttpAiGateway.wrap(plain, AiGateway.builder().build());

    assertThat(OkHttpAiGateway.isGoverned(plain)).isFalse();
    assertThat(OkHttpAiGateway.isGoverned(wrapped)).isTrue();
    assertThat(
            OkHttpAiGateway.isGoverned(
                new OkHttpClient.Builder()
                    .addInterceptor(OkHttpAiGateway.interceptor(AiGateway.builder().build()))
                    .build()))
        .isTrue();
  }

  @Test
  void wrappingAGovernedClientAgainWithItsGatewayGovernsEachCallOnce() throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100_000))
            .listener(events)
            .build();
    OkHttpClient once = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
    OkHttpClient rebuilt = once.newBuilder().build();

    assertThat(OkHttpAiGateway.wrap(once, gateway)).isSameAs(once);
    OkHttpClient twice = OkHttpAiGateway.wrap(rebuilt, gateway);
    assertThat(twice).isSameAs(rebuilt);

    server.enqueue(json(chatCompletion("gpt-4o-mini", 12, 5)));
    try (Response response =
        twice
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    "{\"model\":\"gpt-4o-mini\",\"messages\":[]}",
                    "x-consumer-id",
                    "team-a"))
            .execute()) {
      response.body().string();
    }

    assertThat(events.all).hasSize(1);
    assertThat(events.all.get(0).limits().settledTokens()).isEqualTo(17);
  }

  @Test
  void wrappingAClientAnotherGatewayGovernsIsRefused() {
    OkHttpClient governed = OkHttpAiGateway.wrap(new OkHttpClient(), AiGateway.builder().build());

    assertThatThrownBy(() -> OkHttpAiGateway.wrap(governed, AiGateway.builder().build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("governed by another gateway");
  }

  @Test
  void theGatewayAddedAsANetworkInterceptorFailsItsCallsSayingHowToAddIt() {
    // As a network interceptor it could neither answer a call itself nor route it elsewhere.
    OkHttpClient misassembled =
        new OkHttpClient.Builder()
            .addNetworkInterceptor(
                OkHttpAiGateway.interceptor(
                    AiGateway.builder()
                        .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100_000))
                        .listener(events)
                        .build()))
            .build();
    server.enqueue(json(chatCompletion("gpt-4o", 5, 5)));
    String url = server.url("/v1/chat/completions").toString();

    assertThatThrownBy(
            () ->
                misassembled.newCall(post(url, Backend.chatRequest("gpt-4o", "Hi", ""))).execute())
        .isExactlyInstanceOf(IOException.class)
        .hasMessageContaining("addNetworkInterceptor")
        .hasMessageContaining("addInterceptor");
    assertThat(server.getRequestCount()).isZero();
    assertThat(events.none()).isTrue();
  }

  @Test
  void aLazilyWrappedClientLooksItsGatewayUpOnItsFirstCallAndRefusesCallsUntilThen()
      throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100_000))
            .listener(events)
            .build();
    java.util.concurrent.atomic.AtomicReference<AiGateway> built =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicInteger lookups =
        new java.util.concurrent.atomic.AtomicInteger();
    OkHttpClient lazy =
        OkHttpAiGateway.wrapLazily(
            new OkHttpClient(),
            () -> {
              lookups.incrementAndGet();
              AiGateway found = built.get();
              if (found == null) {
                throw new IllegalStateException("gateway bean in creation");
              }
              return found;
            });
    assertThat(OkHttpAiGateway.isGoverned(lazy)).isTrue();
    assertThat(lookups).hasValue(0);
    Request chat = post(server.url("/v1/chat/completions").toString(), "{\"model\":\"gpt-4o\"}");

    // Before the gateway exists: an I/O error naming why, and nothing sent ungoverned.
    assertThatThrownBy(() -> lazy.newCall(chat).execute())
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("gateway bean in creation");
    assertThat(server.getRequestCount()).isZero();
    assertThatThrownBy(() -> OkHttpAiGateway.wrap(lazy, gateway))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot be looked up now")
        .hasMessageContaining("gateway bean in creation");

    built.set(gateway);
    for (int i = 0; i < 2; i++) {
      server.enqueue(json(chatCompletion("gpt-4o", 12, 5)));
      try (Response response = lazy.newCall(chat).execute()) {
        response.body().string();
      }
    }
    assertThat(events.all).hasSize(2);
    assertThat(events.all.get(1).limits().settledTokens()).isEqualTo(17);
    assertThat(lookups).hasValue(3); // the failed call and wrap, then once for good
    assertThat(OkHttpAiGateway.wrap(lazy, gateway)).isSameAs(lazy);
    assertThatThrownBy(() -> OkHttpAiGateway.wrap(lazy, AiGateway.builder().build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("governed by another gateway");
    assertThat(OkHttpAiGateway.wrapLazily(lazy, () -> gateway)).isSameAs(lazy);
  }

  @Test
  void aLazilyWrappedClientsFirstCallsOnTwoThreadsShareOneGatewayInterceptor() throws Exception {
    // Two threads make a lazily wrapped client's first calls at once, each looking the gateway up.
    // Both calls must go through one interceptor: the origins it learns from them keep the
    // headers that address only the gateway from the calls it passes through there later.
    MockWebServer other = new MockWebServer();
    other.start();
    java.util.concurrent.ExecutorService threads =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      AiGateway gateway =
          AiGateway.builder()
              .consumerKey(KeyResolvers.header("x-consumer-id"))
              .listener(events)
              .build();
      java.util.concurrent.CountDownLatch bothLookingUp =
          new java.util.concurrent.CountDownLatch(2);
      OkHttpClient lazy =
          OkHttpAiGateway.wrapLazily(
              new OkHttpClient(),
              () -> {
                bothLookingUp.countDown();
                try {
                  bothLookingUp.await(20, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                return gateway;
              });
      List<java.util.concurrent.Future<Integer>> firstCalls = new java.util.ArrayList<>();
      for (MockWebServer backend : List.of(server, other)) {
        backend.enqueue(json(chatCompletion("gpt-4o", 12, 5)));
        backend.enqueue(new MockResponse.Builder().code(200).body("{}").build());
        Request chat =
            post(
                backend.url("/v1/chat/completions").toString(),
                "{\"model\":\"gpt-4o\"}",
                "x-consumer-id",
                "team-a");
        firstCalls.add(
            threads.submit(
                () -> {
                  try (Response response = lazy.newCall(chat).execute()) {
                    response.body().string();
                    return response.code();
                  }
                }));
      }
      for (java.util.concurrent.Future<Integer> call : firstCalls) {
        assertThat(call.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(200);
      }
      lazy.newCall(files(server)).execute().close();
      lazy.newCall(files(other)).execute().close();

      for (MockWebServer backend : List.of(server, other)) {
        assertThat(backend.takeRequest().getHeaders().get("x-consumer-id")).isNull();
        assertThat(backend.takeRequest().getHeaders().get("x-consumer-id"))
            .as("a call passed through to " + backend.url("/"))
            .isNull();
      }
      assertThat(events.all).hasSize(2);
    } finally {
      threads.shutdownNow();
      other.close();
    }
  }

  @Test
  void getRequestsToLlmPathsPassThrough() throws Exception {
    server.enqueue(json("{\"object\":\"list\",\"data\":[]}"));
    try (Response response =
        client.newCall(new Request.Builder().url(server.url("/v1/models")).build()).execute()) {
      assertThat(response.body().string()).isEqualTo("{\"object\":\"list\",\"data\":[]}");
    }
    assertThat(events.none()).isTrue();
  }

  @Test
  void malformedBodyIsSentUnchangedAndCountedFromTheResponse() throws Exception {
    String malformed = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\"";
    server.enqueue(json(chatCompletion("gpt-4o", 21, 4)));

    try (Response response =
        client.newCall(post(server.url("/v1/chat/completions").toString(), malformed)).execute()) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    }

    assertThat(server.takeRequest().getBody().utf8()).isEqualTo(malformed);
    GatewayEvent event = events.next();
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(25);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.requestedModel()).isNull();
  }

  @Test
  void jsonThatIsNotAnObjectIsSentUnchanged() throws Exception {
    server.enqueue(
        new MockResponse.Builder()
            .code(400)
            .body("{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\"}}")
            .build());

    try (Response response =
        client.newCall(post(server.url("/v1/chat/completions").toString(), "[1,2,3]")).execute()) {
      assertThat(response.code()).isEqualTo(400);
    }
    assertThat(server.takeRequest().getBody().utf8()).isEqualTo("[1,2,3]");
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.BACKEND_ERROR);
    assertThat(event.limits().settledTokens()).isZero();
  }

  @Test
  void oneShotRequestBodiesAreReadOnceAndSent() throws Exception {
    String body = Backend.chatRequest("gpt-4o", "Hi", "");
    server.enqueue(json(chatCompletion("gpt-4o", 8, 2)));
    RequestBody oneShot =
        new RequestBody() {
          private boolean written;

          @Override
          public MediaType contentType() {
            return Backend.JSON;
          }

          @Override
          public boolean isOneShot() {
            return true;
          }

          @Override
          public void writeTo(BufferedSink sink) throws java.io.IOException {
            if (written) {
              throw new IllegalStateException("one-shot body written twice");
            }
            written = true;
            sink.writeUtf8(body);
          }
        };

    try (Response response =
        client
            .newCall(
                new Request.Builder().url(server.url("/v1/chat/completions")).post(oneShot).build())
            .execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    assertThat(server.takeRequest().getBody().utf8()).isEqualTo(body);
  }

  @Test
  void gatewayHeadersAreRemovedBeforeSending() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 8, 2)));
    chatHi(client, "x-consumer-id", "team-a", "Authorization", "Bearer sk-test");
    RecordedRequest sent = server.takeRequest();
    assertThat(sent.getHeaders().get("x-consumer-id")).isNull();
    assertThat(sent.getHeaders().get("Authorization")).isEqualTo("Bearer sk-test");
    assertThat(events.next().consumer()).isEqualTo("team-a");
  }

  @Test
  void aDeclaredGatewayHeaderWithAPaddedNameIsRemovedBeforeSending() throws Exception {
    OkHttpClient declaring =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder().gatewayHeader(" X-Internal-Route ").listener(events).build());
    server.enqueue(json(chatCompletion("gpt-4o", 8, 2)));
    chatHi(declaring, "x-internal-route", "blue");
    assertThat(server.takeRequest().getHeaders().get("x-internal-route")).isNull();
    assertThat(events.next().status()).isEqualTo(200);
  }

  @Test
  void gatewayHeadersAreForwardedWhenConfigured() throws Exception {
    OkHttpClient forwarding =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .consumerKey(KeyResolvers.header("x-consumer-id"))
                .forwardGatewayHeaders(true)
                .listener(events)
                .build());
    server.enqueue(json(chatCompletion("gpt-4o", 8, 2)));
    chatHi(forwarding, "x-consumer-id", "team-a");
    assertThat(server.takeRequest().getHeaders().get("x-consumer-id")).isEqualTo("team-a");
  }

  @Test
  void aGatewayWithNothingToDoLeavesCallsAlone() throws Exception {
    OkHttpClient idle =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder().consumerKey(KeyResolvers.header("x-consumer-id")).build());
    String body = Backend.chatRequest("gpt-4o", "Hi", "\"stream\":true");
    server.enqueue(Backend.sse(Backend.chatStream("gpt-4o", false, 0, 0, true)));
    try (Response response =
        idle.newCall(post(server.url("/v1/chat/completions").toString(), body)).execute()) {
      assertThat(response.body().string())
          .isEqualTo(Backend.chatStream("gpt-4o", false, 0, 0, true));
    }
    assertThat(server.takeRequest().getBody().utf8()).isEqualTo(body);
  }

  @Test
  void aFailingListenerNeverBreaksTheCall() throws Exception {
    OkHttpClient withBadListener =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .listener(
                    event -> {
                      throw new IllegalStateException("listener bug");
                    })
                .listener(events)
                .build());
    server.enqueue(json(chatCompletion("gpt-4o", 8, 2)));
    assertThat(chatHi(withBadListener)).contains("chatcmpl-1");
    assertThat(events.next().usage().tokens().totalTokens()).isEqualTo(10);
  }
}
