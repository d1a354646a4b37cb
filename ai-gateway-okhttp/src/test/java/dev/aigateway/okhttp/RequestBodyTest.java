package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LimitsInfo;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import mockwebserver3.MockWebServer;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The request bodies the gateway cannot read whole before it sends a governed call: one larger than
 * a Java array holds, and a duplex body, which goes on being written after the call is sent. Each
 * fails the call with an {@code IOException} saying why, before anything is sent.
 */
class RequestBodyTest {

  private static final MediaType JSON = MediaType.get("application/json");
  private static final String CONSUMER = "x-consumer";
  private static final byte[] CHAT =
      chatRequest("gpt-4o", "Hello there", "\"max_tokens\":10").getBytes(StandardCharsets.UTF_8);

  private final MockWebServer server = new MockWebServer();
  private final RecordingListener events = new RecordingListener();
  private OkHttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    server.start();
    server.enqueue(json(chatCompletion("gpt-4o", 5, 5))); // what a body sent on would get
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header(CONSUMER))
            .tokenLimit(
                TokenLimit.perConsumer()
                    .tokensPerMinute(100_000)
                    .requestsPerMinute(1)
                    .maxInFlight(1))
            .listener(events)
            .build();
    client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  private Request post(RequestBody body) {
    return new Request.Builder()
        .url(server.url("/v1/chat/completions"))
        .header(CONSUMER, "team-a")
        .post(body)
        .build();
  }

  /**
   * The one event of a call refused before anything was sent: failed with {@code errorType}, its
   * consumer resolved, no limit reserved or charged.
   */
  private void assertRefused(String errorType) throws InterruptedException {
    GatewayEvent event = events.next();
    assertThat(event.outcome()).isEqualTo(CallOutcome.FAILED);
    assertThat(event.errorType()).isEqualTo(errorType);
    assertThat(event.consumer()).isEqualTo("team-a");
    assertThat(event.limits()).isEqualTo(LimitsInfo.NONE);
    assertThat(event.usage().tokens().totalTokens()).isZero();
    assertThat(events.none()).isTrue();
  }

  @Test
  void aBodyAnnouncingMoreThanTwoGigabytesFailsWithAnIOExceptionBeforeAnythingIsSent()
      throws Exception {
    long threeGigabytes = 3L << 30;
    RequestBody huge = new Claimed(threeGigabytes);

    assertThatThrownBy(() -> client.newCall(post(huge)).execute())
        .isExactlyInstanceOf(IOException.class)
        .hasMessageContaining(Long.toString(threeGigabytes))
        .hasMessageContaining(Long.toString(OkHttpClientRequest.MAX_BODY_BYTES));
    assertThat(server.getRequestCount()).isZero();
    assertRefused("java.io.IOException");
  }

  @Test
  void aBodyOfUnknownLengthIsReadNoFurtherThanTheBound() {
    Endless endless = new Endless();

    assertThatThrownBy(() -> OkHttpClientRequest.bodyOf(endless, 64 * 1024))
        .isExactlyInstanceOf(IOException.class)
        .hasMessageContaining("more than 65536 bytes");
    // It stopped at the bound (give or take a segment and a chunk), not at the end of the body.
    assertThat(endless.written).isBetween(64L * 1024, 64L * 1024 + 8192 + 1024);
  }

  @Test
  void aBodyThatWritesMoreThanItAnnouncedAndThanTheBoundIsRefused() {
    // A body that knows its length is written straight into the gateway's buffer; one that writes
    // past the bound all the same is refused when it is done, never sent as a longer body.
    Endless lying = new Endless(10);

    assertThatThrownBy(() -> OkHttpClientRequest.bodyOf(lying, 64 * 1024))
        .isExactlyInstanceOf(IOException.class)
        .hasMessageContaining("more than 65536 bytes");
  }

  @Test
  void aBodyThatWritesMoreThanItsContentLengthFailsWithAProtocolExceptionBeforeAnythingIsSent()
      throws Exception {
    // Plain OkHttp fails such a call with a ProtocolException ("expected 10 bytes but received
    // …"); the gateway, which has the whole body in hand, fails it so before sending anything.
    RequestBody longer = new Claimed(10);

    assertThatThrownBy(() -> client.newCall(post(longer)).execute())
        .isExactlyInstanceOf(ProtocolException.class)
        .hasMessageContaining("contentLength() of 10 bytes")
        .hasMessageContaining("wrote " + CHAT.length)
        .hasMessageContaining("nothing was sent");
    assertThat(server.getRequestCount()).isZero();
    assertRefused("java.net.ProtocolException");
  }

  @Test
  void
      aBodyThatWritesFewerBytesThanItsContentLengthFailsWithAProtocolExceptionBeforeAnythingIsSent()
          throws Exception {
    // Plain OkHttp fails such a call with a ProtocolException ("unexpected end of stream") once
    // the body is done; sent as written, the backend would get a shorter body than announced.
    RequestBody shorter = new Claimed(CHAT.length + 100);

    assertThatThrownBy(() -> client.newCall(post(shorter)).execute())
        .isExactlyInstanceOf(ProtocolException.class)
        .hasMessageContaining("contentLength() of " + (CHAT.length + 100) + " bytes")
        .hasMessageContaining("wrote " + CHAT.length)
        .hasMessageContaining("nothing was sent");
    assertThat(server.getRequestCount()).isZero();
    assertRefused("java.net.ProtocolException");
  }

  @Test
  void aDuplexBodyFailsWithAnIOExceptionBeforeAnythingIsSent() throws Exception {
    // A duplex body may return from writeTo having written nothing yet, and write on later.
    RequestBody duplex =
        new RequestBody() {
          @Override
          public MediaType contentType() {
            return JSON;
          }

          @Override
          public boolean isDuplex() {
            return true;
          }

          @Override
          public void writeTo(BufferedSink sink) throws IOException {
            sink.write(CHAT, 0, CHAT.length / 2);
            sink.flush();
          }
        };

    assertThatThrownBy(() -> client.newCall(post(duplex)).execute())
        .isExactlyInstanceOf(IOException.class)
        .hasMessageContaining("duplex");
    assertThat(server.getRequestCount()).isZero();
    assertRefused("java.io.IOException");
  }

  @Test
  void aBodyWhoseOwnWriteFailsFailsTheCallWithItsIOExceptionAndOneEvent() throws Exception {
    IOException broken = new IOException("disk gone");
    RequestBody failing =
        new RequestBody() {
          @Override
          public MediaType contentType() {
            return JSON;
          }

          @Override
          public void writeTo(BufferedSink sink) throws IOException {
            sink.write(CHAT, 0, 10);
            throw broken;
          }
        };

    assertThatThrownBy(() -> client.newCall(post(failing)).execute()).isSameAs(broken);
    assertThat(server.getRequestCount()).isZero();
    assertRefused("java.io.IOException");
  }

  @Test
  void refusedCallsHoldNoRequestAndNoInFlightSlot() throws Exception {
    // One request a minute, one call in flight: a refused call that had taken either would make
    // the next call a local 429.
    for (RequestBody refused :
        List.of(new Claimed(3L << 30), new Claimed(10), new Claimed(CHAT.length + 1))) {
      assertThatThrownBy(() -> client.newCall(post(refused)).execute())
          .isInstanceOf(IOException.class);
      assertThat(events.next().outcome()).isEqualTo(CallOutcome.FAILED);
    }

    try (Response response = client.newCall(post(RequestBody.create(CHAT, JSON))).execute()) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    }
    GatewayEvent sent = events.next();
    assertThat(sent.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(sent.limits().reservedRequests()).isEqualTo(1);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  /** A chat body that announces {@code length} bytes and writes only the chat. */
  private static final class Claimed extends RequestBody {
    private final long length;

    Claimed(long length) {
      this.length = length;
    }

    @Override
    public @Nullable MediaType contentType() {
      return JSON;
    }

    @Override
    public long contentLength() {
      return length;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      sink.write(CHAT);
    }
  }

  /**
   * A body that writes 1 MiB in 1 KiB chunks, unless its sink refuses one; of unknown length unless
   * it announces one.
   */
  private static final class Endless extends RequestBody {
    private final long announced;
    private long written;

    Endless() {
      this(-1);
    }

    Endless(long announced) {
      this.announced = announced;
    }

    @Override
    public long contentLength() {
      return announced;
    }

    @Override
    public @Nullable MediaType contentType() {
      return JSON;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      byte[] chunk = new byte[1024];
      while (written < 1L << 20) {
        sink.write(chunk);
        written += chunk.length;
      }
    }
  }
}
