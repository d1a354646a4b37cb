package dev.aigateway.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.Credentials;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.agent.A2aAgent;
import dev.aigateway.core.agent.McpServer;
import dev.aigateway.core.aws.AwsCredentials;
import dev.aigateway.core.aws.AwsCredentialsProvider;
import dev.aigateway.core.aws.AwsSigV4;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.inventory.GatewayInventory;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.CircuitBreakerPolicy;
import dev.aigateway.core.routing.Failover;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.okhttp.HostileProviderTraffic.Protocol;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Malformed and extreme traffic of every protocol but OpenAI's own ({@link HostileProviderTraffic}:
 * seeded, deterministic) through real wrapped {@link OkHttpClient}s with token limits, content
 * safety, MCP and A2A governance configured: one plain, one that throws on rejection and caches
 * answers, and three that route OpenAI chat calls to a pool whose one backend speaks Anthropic's,
 * Gemini's or Bedrock's API (translated there and back). The backend answers in process or, one
 * case in eight, over MockWebServer, as in {@link HostileTrafficTest}, whose harness this shares.
 * One run is shared by the tests, each of which checks one invariant of every call in it; a failure
 * names the case, its request and its answer.
 *
 * <p>The suite runs seed {@code 0xBAD5EED}. A longer hunt: {@code -Dhostile.seed=<long, or 0x hex>
 * -Dhostile.cases=<calls>}.
 */
@Timeout(120)
class HostileProviderTrafficTest extends HostileInvariantTests {

  private static final long SEED = Long.decode(System.getProperty("hostile.seed", "0xBAD5EED"));
  private static final int CASES = Integer.parseInt(System.getProperty("hostile.cases", "3000"));
  private static final int NETWORK_EVERY = 8;

  /** The gateway with a response cache, whose calls now and then repeat one before them. */
  private static final int CACHING = 1;

  /** Backend secrets, which must never reach the application or an event. */
  private static final String API_KEY = "sk-hostile-test-SECRET-backend-key";

  private static final String AWS_SECRET = "hostile-test-SECRET-wJalrXUtn";

  private static final String CONSUMER = "x-consumer-id";
  private static final String[] CONSUMERS = {"team-a", "team-b", "team-c", "team-d", "small"};
  private static final AwsCredentialsProvider AWS =
      AwsCredentialsProvider.of(new AwsCredentials("AKIDHOSTILE", AWS_SECRET, null));

  private static MockWebServer server;
  private static HostileCases run;
  private static List<String> inFlight;
  private static List<String> cacheHits;

  @BeforeAll
  static void runHostileTraffic() throws Exception {
    HostileTrafficTest.Answers answers = new HostileTrafficTest.Answers();
    server = HostileTrafficTest.startServer(answers);
    run = traffic(answers);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Override
  HostileCases cases() {
    return run;
  }

  @Test
  void everyAnswerFromTheCacheIsWellFormed() {
    assertThat(cacheHits).isEmpty();
  }

  @Test
  void noCallIsLeftInFlight() {
    assertThat(inFlight).isEmpty();
  }

  private static HostileCases traffic(HostileTrafficTest.Answers answers) throws Exception {
    ManualClock clock = ManualClock.at("2026-06-15T12:00:00Z");
    HostileTrafficTest.AccountingStore store =
        new HostileTrafficTest.AccountingStore(
            new InMemoryTokenLimitStore(clock, Duration.ofDays(365)));
    OkHttpClient plain =
        new OkHttpClient.Builder()
            .readTimeout(2, TimeUnit.SECONDS)
            .callTimeout(20, TimeUnit.SECONDS)
            .retryOnConnectionFailure(false)
            .socketFactory(new HostileTrafficTest.NoDelaySockets())
            .build();
    String base = server.url("/").toString().replaceAll("/$", "");
    List<AiGateway> gateways = new ArrayList<>();
    List<HostileTrafficTest.EventsPerCall> events = new ArrayList<>();
    for (int g = 0; g < 5; g++) {
      HostileTrafficTest.EventsPerCall listener = new HostileTrafficTest.EventsPerCall();
      AiGateway.Builder builder = gateway(clock, store, listener);
      if (g == 0 || g == 2) {
        // content safety reads the prompt (refusing one it cannot read) and screens the answer
        builder.contentSafety(ContentSafety.builder().denyWords("forbidden").screenAnswers(10, 6));
      }
      switch (g) {
        case 0 -> {}
        case 1 ->
            builder
                .throwOnRejection(true)
                .injectStreamUsage(false)
                .maxObservedBodyBytes(4096)
                .responseCache(ResponseCache.builder());
        case 2 ->
            builder.backendPool(
                pool(Backend.anthropic("claude", base).credential(Credentials.apiKey(API_KEY))));
        case 3 ->
            builder.backendPool(
                pool(Backend.gemini("gemini", base).credential(Credentials.apiKey(API_KEY))));
        default ->
            builder.backendPool(
                pool(
                    Backend.bedrock("bedrock", base)
                        .signer(AwsSigV4.signer("us-east-1", "bedrock", AWS))));
      }
      gateways.add(builder.build());
      events.add(listener);
    }
    OkHttpClient[][] clients = new OkHttpClient[gateways.size()][];
    for (int g = 0; g < gateways.size(); g++) {
      OkHttpClient wrapped = OkHttpAiGateway.wrap(plain, gateways.get(g));
      clients[g] =
          new OkHttpClient[] {wrapped.newBuilder().addInterceptor(answers).build(), wrapped};
    }
    HostileProviderTraffic traffic = new HostileProviderTraffic(SEED);
    HostileCases cases = new HostileCases(store, HostileProviderTrafficTest::leak);
    cacheHits = new ArrayList<>();
    Object[] asked = new Object[6];
    for (int i = 0; i < CASES; i++) {
      Protocol protocol = traffic.protocol();
      int gateway =
          switch (protocol) {
            case TO_ANTHROPIC -> 2;
            case TO_GEMINI -> 3;
            case TO_BEDROCK -> 4;
            default -> traffic.random().nextInt(2);
          };
      String path = traffic.path(protocol);
      byte[] body = traffic.request(protocol);
      String consumer = CONSUMERS[traffic.random().nextInt(CONSUMERS.length)];
      if (gateway == CACHING && asked[0] != null && traffic.random().nextInt(3) == 0) {
        // asked again: answered from the cache when the first answer was stored
        protocol = (Protocol) asked[0];
        path = (String) asked[1];
        body = (byte[]) asked[2];
        consumer = (String) asked[3];
      } else if (gateway == CACHING) {
        asked = new Object[] {protocol, path, body, consumer, null, null};
      }
      HostileTraffic.Answer answer =
          traffic.answer(protocol, HostileProviderTraffic.streamed(protocol, path, body));
      answers.next = answer;
      String first = ""; // for a repeated call: the call it repeats, as first answered
      if (gateway == CACHING && asked[2] == body && asked[4] == null) {
        asked[4] = answer;
        asked[5] = i;
      } else if (gateway == CACHING && asked[4] != null) {
        HostileTraffic.Answer stored = (HostileTraffic.Answer) asked[4];
        first =
            ", repeating case "
                + asked[5]
                + ", then answered "
                + stored.code()
                + " "
                + stored.contentType()
                + " "
                + HostileTrafficTest.preview(stored.body())
                + (stored.cutConnection() ? " cut" : "");
      }
      int reading = traffic.random().nextInt(10);
      boolean network = traffic.random().nextInt(NETWORK_EVERY) == 0;
      String what =
          "seed 0x"
              + Long.toHexString(SEED)
              + ", case "
              + i
              + " "
              + protocol
              + " (gateway "
              + gateway
              + ", "
              + path
              + ", request "
              + HostileTrafficTest.preview(body)
              + ", answer "
              + answer.code()
              + " "
              + answer.contentType()
              + " "
              + HostileTrafficTest.preview(answer.body())
              + (answer.cutConnection() ? " cut" : "")
              + ", reading "
              + reading
              + (network ? ", network" : "")
              + first
              + ")";
      OkHttpClient client = clients[gateway][network ? 1 : 0];
      String to = path;
      byte[] sent = body;
      String from = consumer;
      HostileCases.Call<Got> call = () -> call(client, to, sent, from, reading);
      HostileCases.Case<Got> made =
          protocol.agent()
              // A JSON-RPC batch is one event per request in it; a notification none.
              ? cases.atMostEvents(
                  what,
                  events.get(gateway),
                  Math.max(1, body.length > 0 && body[0] == '[' ? count(body, "\"method\"") : 1),
                  call)
              : cases.exactlyOneEvent(what, events.get(gateway), call);
      Got got = made.got();
      if (got != null) {
        cases.leaked(what, "an answer", new String(got.read(), StandardCharsets.UTF_8));
      }
      if (got != null
          && got.code() == 200
          && made.event() != null
          && made.event().cache().outcome().hit()) {
        String malformed = malformedHit(got);
        if (malformed != null) {
          cacheHits.add(
              what
                  + ": "
                  + malformed
                  + "; replayed "
                  + got.contentType()
                  + " "
                  + HostileTrafficTest.preview(got.read()));
        }
      }
    }
    cases.finish(events);
    inFlight = new ArrayList<>();
    for (AiGateway gateway : gateways) {
      for (GatewayInventory.Pool pool : gateway.inventory().pools()) {
        for (GatewayInventory.BackendEntry backend : pool.backends()) {
          if (backend.health().inFlight() != 0) {
            inFlight.add(backend.id() + ": " + backend.health().inFlight() + " in flight");
          }
        }
      }
    }
    inFlight.addAll(agentsStillAdmit(clients, answers));
    return cases;
  }

  /**
   * Whether each agent still admits a call after the run: their in-flight cap is one, so a slot a
   * call kept would turn every later call away.
   */
  private static List<String> agentsStillAdmit(
      OkHttpClient[][] clients, HostileTrafficTest.Answers answers) throws IOException {
    List<String> refused = new ArrayList<>();
    answers.next =
        new HostileTraffic.Answer(
            200,
            "application/json",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}".getBytes(),
            false,
            0);
    for (int g = 0; g < 2; g++) {
      for (String[] call :
          new String[][] {
            {
              "/mcp",
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
                  + "{\"name\":\"get_issue\",\"arguments\":{}}}"
            },
            {"/a2a", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/get\",\"params\":{}}"}
          }) {
        Request request =
            new Request.Builder()
                .url(server.url(call[0]))
                .header(CONSUMER, "team-a")
                .header("Accept", "application/json, text/event-stream")
                .post(RequestBody.create(call[1], MediaType.get("application/json")))
                .build();
        try (Response response = clients[g][0].newCall(request).execute()) {
          String answer = response.body().string();
          if (!answer.contains("\"result\"")) {
            refused.add("gateway " + g + " " + call[0] + " after the run: " + answer);
          }
        }
      }
    }
    return refused;
  }

  private static int count(byte[] body, String text) {
    String s = new String(body, java.nio.charset.StandardCharsets.ISO_8859_1);
    int n = 0;
    for (int at = s.indexOf(text); at >= 0; at = s.indexOf(text, at + 1)) {
      n++;
    }
    return n;
  }

  /** A pool of one backend that serves gpt-4o, whose breaker never trips, without failover. */
  private static BackendPool pool(Backend.Builder backend) {
    return BackendPool.builder()
        .backend(backend.model("gpt-4o", "target-model"))
        .circuitBreaker(
            CircuitBreakerPolicy.builder()
                .failureStatuses(status -> false)
                .tripOnConnectionFailures(false)
                .build())
        .failover(Failover.disabled())
        .build();
  }

  private static AiGateway.Builder gateway(
      ManualClock clock, TokenLimitStore store, GatewayListener listener) {
    String base = server.url("/").toString();
    AiGateway.Builder builder =
        AiGateway.builder()
            .clock(clock)
            .tokenLimitStore(store)
            .listener(listener)
            .consumerKey(KeyResolvers.header(CONSUMER));
    HostileTrafficTest.limits().forEach(builder::tokenLimit);
    return builder
        .mcpServer(
            McpServer.builder("tools", base + "mcp")
                .maxInFlight(1)
                .maxArgumentBytes(4096)
                .contentChecks(ContentSafety.builder().denyWords("forbidden")))
        .agent(A2aAgent.builder("planner", base + "a2a").maxInFlight(1));
  }

  /** What the application got: status, content type and the bytes it read. */
  private record Got(int code, String contentType, byte[] read, boolean whole) {}

  /** Makes one call as an application might, reading all, some or none of the answer. */
  private static Got call(
      OkHttpClient client, String path, byte[] body, String consumer, int reading)
      throws IOException {
    Request request =
        new Request.Builder()
            .url(server.url(path))
            .header(CONSUMER, consumer)
            .header("Accept", "application/json, text/event-stream")
            .post(RequestBody.create(body, MediaType.get("application/json")))
            .build();
    try (Response response = client.newCall(request).execute()) {
      InputStream in = response.body().byteStream();
      java.io.ByteArrayOutputStream read = new java.io.ByteArrayOutputStream();
      Got got = new Got(response.code(), response.header("Content-Type"), new byte[0], false);
      if (reading == 9) {
        return got; // closed unread
      }
      byte[] buffer = new byte[reading < 7 ? 8192 : 1 + reading * 10];
      int n;
      do {
        n = in.read(buffer);
        if (n > 0) {
          read.write(buffer, 0, n);
        }
      } while (n >= 0 && reading < 7);
      return new Got(got.code(), got.contentType(), read.toByteArray(), reading < 7);
    }
  }

  /**
   * What is wrong with an answer the cache gave, or null: it must be one a backend gave whole, so
   * well-formed: a JSON document, events whose data is JSON, or event stream frames that decode.
   */
  private static String malformedHit(Got got) {
    if (!got.whole()) {
      return null;
    }
    String type =
        got.contentType() == null ? "" : got.contentType().toLowerCase(java.util.Locale.ROOT);
    try {
      if (type.startsWith(HostileProviderTraffic.EVENT_STREAM)) {
        List<dev.aigateway.core.wire.EventStreamMessage> frames = new ArrayList<>();
        dev.aigateway.core.wire.EventStreamDecoder decoder =
            new dev.aigateway.core.wire.EventStreamDecoder(frames::add);
        decoder.feed(got.read(), 0, got.read().length);
        if (decoder.corrupt() || decoder.midMessage()) {
          return "a replayed event stream that does not decode";
        }
        for (dev.aigateway.core.wire.EventStreamMessage frame : frames) {
          MAPPER.readTree(frame.payload());
        }
      } else if (type.startsWith("text/event-stream")) {
        for (String line :
            new String(got.read(), java.nio.charset.StandardCharsets.UTF_8).split("\r?\n")) {
          if (line.startsWith("data:") && !line.substring(5).trim().equals("[DONE]")) {
            MAPPER.readTree(line.substring(5));
          }
        }
      } else {
        MAPPER.readTree(got.read());
      }
      return null;
    } catch (IOException | RuntimeException e) {
      return "a replayed answer that is not well-formed: " + e;
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
      new com.fasterxml.jackson.databind.ObjectMapper()
          .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /** What a text the application saw gives away: a backend's secret, or null. */
  private static String leak(String text) {
    return text != null && (text.contains(API_KEY) || text.contains(AWS_SECRET))
        ? "a backend secret: " + text
        : null;
  }
}
