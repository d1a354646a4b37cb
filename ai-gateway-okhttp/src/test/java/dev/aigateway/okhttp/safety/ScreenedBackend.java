package dev.aigateway.okhttp.safety;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.core.wire.EventStreamDecoder;
import dev.aigateway.core.wire.EventStreamMessage;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.Closing;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What an end-to-end content-safety test stands on: a MockWebServer backend, started before each
 * test and closed after it, and the events of the gateways the test governs OkHttp with. A test
 * registers it ({@code @RegisterExtension final ScreenedBackend screened = new ScreenedBackend()})
 * and asks it for governed clients, posts, events and Bedrock event stream frames.
 */
final class ScreenedBackend implements BeforeEachCallback, AfterEachCallback {

  /** The backend every governed call of the test reaches. */
  final MockWebServer backend = new MockWebServer();

  /** The events of every gateway {@link #governed(AiGateway.Builder)} made, in order. */
  final LinkedBlockingQueue<GatewayEvent> events = new LinkedBlockingQueue<>();

  private final OkHttpClient plain = new OkHttpClient();

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    backend.start();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    Closing.inBackground(backend);
  }

  /** Denied word {@code forbidden}, answers screened in windows of 10 characters overlapping 6. */
  static ContentSafety.Builder forbiddenInWindowsOfTen() {
    return ContentSafety.builder().denyWords("forbidden").screenAnswers(10, 6);
  }

  /** OkHttp governed by {@code gateway}, whose events go to {@link #events}. */
  OkHttpClient governed(AiGateway.Builder gateway) {
    return OkHttpAiGateway.wrap(plain, gateway.listener(events::add).build());
  }

  /** OkHttp governed by a gateway with these content checks only. */
  OkHttpClient governed(ContentSafety.Builder safety) {
    return governed(AiGateway.builder().contentSafety(safety));
  }

  /** Posts a JSON body to {@code path} of the backend through {@code client}. */
  Response post(OkHttpClient client, String path, String body) throws IOException {
    return client
        .newCall(
            new Request.Builder()
                .url(backend.url(path))
                .post(RequestBody.create(body, MediaType.get("application/json")))
                .build())
        .execute();
  }

  /** The next event, which must come within 5 seconds. */
  GatewayEvent event() throws InterruptedException {
    GatewayEvent event = events.poll(5, TimeUnit.SECONDS);
    assertThat(event).as("an event within 5 s").isNotNull();
    return event;
  }

  /** That no further event comes (within 150 ms): the call took ended in exactly one. */
  void noMoreEvents() throws InterruptedException {
    assertThat(events.poll(150, TimeUnit.MILLISECONDS)).as("exactly one event").isNull();
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** One AWS event stream message of {@code eventType} carrying {@code json}. */
  static byte[] frame(String eventType, String json) {
    return EventStreamMessage.event(eventType, utf8(json)).encode();
  }

  /** A Bedrock event stream answer, sent a bit at a time as a backend streams. */
  static MockResponse eventStream(byte[] body) {
    return new MockResponse.Builder()
        .code(200)
        .addHeader("Content-Type", "application/vnd.amazon.eventstream")
        .body(new Buffer().write(body))
        .throttleBody(64, 5, TimeUnit.MILLISECONDS)
        .build();
  }

  /** The messages of an event stream, each read with both its CRCs checked. */
  static List<EventStreamMessage> messages(byte[] stream) {
    List<EventStreamMessage> read = new ArrayList<>();
    EventStreamDecoder decoder = new EventStreamDecoder(read::add);
    decoder.feed(stream, 0, stream.length);
    assertThat(decoder.corrupt()).as("every frame valid: %s", decoder.corruption()).isFalse();
    assertThat(decoder.midMessage()).as("no frame cut short").isFalse();
    return read;
  }
}
