package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import java.nio.charset.StandardCharsets;
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
import okio.Buffer;
import okio.BufferedSink;
import okio.GzipSink;
import okio.Okio;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The request an attempt sends down the chain: the application's own object when the gateway
 * changes nothing, else a copy without the gateway's headers that carries exactly the other
 * headers, and the application's body object when OkHttp may write it again with the same length.
 */
class AttemptRequestTest {

  private static final MediaType JSON = MediaType.get("application/json");
  private static final String CONSUMER = "x-consumer-id";

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();

  /** The requests the interceptor after the gateway saw, in order. */
  private final List<Request> sent = new CopyOnWriteArrayList<>();

  private OkHttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    server.start();
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header(CONSUMER))
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100_000))
            .listener(events)
            .build();
    client =
        OkHttpAiGateway.wrap(new OkHttpClient(), gateway)
            .newBuilder()
            .addInterceptor(
                chain -> {
                  sent.add(chain.request());
                  return chain.proceed(chain.request());
                })
            .build();
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  private String chat() {
    return chatRequest("gpt-4o-mini", "hello there", "\"max_tokens\":16");
  }

  private Request.Builder post(RequestBody body) {
    return new Request.Builder()
        .url(server.url("/v1/chat/completions"))
        .header("Authorization", "Bearer sk-test-123")
        .header("X-App", "one")
        .addHeader("X-App", "two")
        .post(body);
  }

  private GatewayEvent call(Request request) throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o-mini", 9, 2)));
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.body().string()).contains("\"usage\"");
    }
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(11);
    return event;
  }

  @Test
  void aRequestTheGatewayDoesNotChangeIsTheApplicationsOwnObject() throws Exception {
    Request request = post(RequestBody.create(chat(), JSON)).build();

    call(request);

    assertThat(sent).hasSize(1);
    assertThat(sent.get(0)).isSameAs(request);
    RecordedRequest wire = server.takeRequest();
    assertThat(wire.getBody().utf8()).isEqualTo(chat());
    assertThat(wire.getHeaders().values("X-App")).containsExactly("one", "two");
    assertThat(wire.getHeaders().get("Content-Length"))
        .isEqualTo(String.valueOf(chat().getBytes(StandardCharsets.UTF_8).length));
    assertThat(events.none()).isTrue();
  }

  @Test
  void aHeaderGivenTwiceIsReadByItsFirstValue() throws Exception {
    // As LlmRequest.header says, and as servlet containers read a repeated header.
    Request request =
        post(RequestBody.create(chat(), JSON))
            .header(CONSUMER, "team-a")
            .addHeader(CONSUMER, "team-b")
            .build();

    GatewayEvent event = call(request);

    assertThat(event.consumer()).isEqualTo("team-a");
    assertThat(server.takeRequest().getHeaders().get(CONSUMER)).isNull(); // both removed
  }

  @Test
  void anAppThatAsksForGzipItselfGetsTheAnswerInflatedAndItsUsageCounted() throws Exception {
    // The gateway reads the answer above OkHttp's own inflating: an encoding the application asked
    // for itself would reach it unread. It is left to OkHttp, which asks for gzip and inflates.
    Buffer gzipped = new Buffer();
    try (BufferedSink sink = Okio.buffer(new GzipSink(gzipped))) {
      sink.writeUtf8(chatCompletion("gpt-4o-mini", 9, 2));
    }
    server.enqueue(
        new MockResponse.Builder()
            .addHeader("Content-Type", "application/json")
            .addHeader("Content-Encoding", "gzip")
            .body(gzipped)
            .build());
    Request request =
        post(RequestBody.create(chat(), JSON)).header("Accept-Encoding", "gzip").build();

    try (Response response = client.newCall(request).execute()) {
      assertThat(response.header("Content-Encoding")).isNull();
      assertThat(response.body().string()).contains("\"usage\"");
    }

    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.usage().inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(11);
    assertThat(server.takeRequest().getHeaders().get("Accept-Encoding")).isEqualTo("gzip");
  }

  @Test
  void aRewrittenRequestCarriesExactlyTheHeadersItDidLessTheGatewaysOwn() throws Exception {
    RequestBody body = RequestBody.create(chat(), JSON);
    Request request = post(body).header(CONSUMER, "team-a").build();

    call(request);

    Request down = sent.get(0);
    assertThat(down).isNotSameAs(request);
    assertThat(down.header(CONSUMER)).isNull();
    assertThat(down.headers().toMultimap())
        .isEqualTo(request.headers().newBuilder().removeAll(CONSUMER).build().toMultimap());
    assertThat(down.headers().names()).containsExactly("Authorization", "X-App");
    assertThat(down.url()).isEqualTo(request.url());
    assertThat(down.method()).isEqualTo("POST");
    // A body OkHttp may write again, of the length read: the application's own object.
    assertThat(down.body()).isSameAs(body);
    RecordedRequest wire = server.takeRequest();
    assertThat(wire.getHeaders().get(CONSUMER)).isNull();
    assertThat(wire.getBody().utf8()).isEqualTo(chat());
  }

  @Test
  void aOneShotBodyIsSentAsTheBytesRead() throws Exception {
    RequestBody oneShot = new Body(chat(), true, true);
    Request request = post(oneShot).build();

    call(request);

    Request down = sent.get(0);
    assertThat(down).isNotSameAs(request);
    assertThat(down.body()).isNotSameAs(oneShot);
    assertThat(down.body().contentType()).isEqualTo(JSON);
    assertThat(down.body().contentLength()).isEqualTo(chat().length());
    assertThat(down.headers()).isEqualTo(request.headers());
    assertThat(server.takeRequest().getBody().utf8()).isEqualTo(chat());
  }

  @Test
  void aBodyOfUnknownLengthIsSentAsTheBytesReadWithTheirLength() throws Exception {
    RequestBody unknownLength = new Body(chat(), false, false);
    Request request = post(unknownLength).header(CONSUMER, "team-a").build();

    call(request);

    Request down = sent.get(0);
    assertThat(down.body()).isNotSameAs(unknownLength);
    assertThat(down.body().contentLength()).isEqualTo(chat().length());
    assertThat(down.header(CONSUMER)).isNull();
    RecordedRequest wire = server.takeRequest();
    assertThat(wire.getHeaders().get("Content-Length")).isEqualTo(String.valueOf(chat().length()));
    assertThat(wire.getHeaders().get("Transfer-Encoding")).isNull();
    assertThat(wire.getBody().utf8()).isEqualTo(chat());
  }

  @Test
  void aBodyWhoseLengthCannotBeToldIsSentAsTheBytesRead() throws Exception {
    RequestBody body =
        new RequestBody() {
          private final byte[] bytes = chat().getBytes(StandardCharsets.UTF_8);
          private int asked;

          @Override
          public MediaType contentType() {
            return JSON;
          }

          @Override
          public long contentLength() {
            if (asked++ > 0) {
              throw new IllegalStateException("asked again");
            }
            return bytes.length;
          }

          @Override
          public void writeTo(BufferedSink sink) throws java.io.IOException {
            sink.write(bytes);
          }
        };
    body.contentLength(); // its one answer is spent: the gateway's question throws
    Request request = post(body).build();

    call(request);

    assertThat(sent.get(0).body()).isNotSameAs(body);
    assertThat(server.takeRequest().getBody().utf8()).isEqualTo(chat());
  }

  @Test
  void aStreamAskedForUsageIsSentRewritten() throws Exception {
    String streamed =
        chatRequest("gpt-4o-mini", "hello there", "\"max_tokens\":16,\"stream\":true");
    Request request = post(RequestBody.create(streamed, JSON)).build();
    server.enqueue(Backend.sse(Backend.chatStream("gpt-4o-mini", true, 9, 2, true)));
    try (Response response = client.newCall(request).execute()) {
      response.body().string();
    }
    events.next();

    Request down = sent.get(0);
    assertThat(down).isNotSameAs(request);
    assertThat(server.takeRequest().getBody().utf8()).contains("\"include_usage\":true");
  }

  /** A body written from a string, one-shot or not, of known length or not. */
  private static final class Body extends RequestBody {
    private final byte[] bytes;
    private final boolean oneShot;
    private final boolean knownLength;

    Body(String text, boolean oneShot, boolean knownLength) {
      this.bytes = text.getBytes(StandardCharsets.UTF_8);
      this.oneShot = oneShot;
      this.knownLength = knownLength;
    }

    @Override
    public @Nullable MediaType contentType() {
      return JSON;
    }

    @Override
    public long contentLength() {
      return knownLength ? bytes.length : -1;
    }

    @Override
    public boolean isOneShot() {
      return oneShot;
    }

    @Override
    public void writeTo(BufferedSink sink) throws java.io.IOException {
      sink.write(bytes);
    }
  }
}
