package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.StoreState;
import dev.aigateway.api.StoreTransition;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.access.ToolAccess;
import dev.aigateway.core.agent.McpServer;
import dev.aigateway.core.agent.ToolPolicy;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.core.limit.StoreBreakerPolicy;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockWebServer;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One token store, one health state: LLM calls (the limit stage) and MCP tool calls (the gateway's
 * call counters) count in the same store, so a store that the one kind of call finds failing is
 * skipped by the other kind as well, and each change of its health reaches the listener once.
 */
class SharedStoreHealthTest {

  private static final String CONSUMER = "x-consumer-id";
  private static final MediaType JSON_TYPE = MediaType.get("application/json");
  private static final int THRESHOLD = 3;
  private static final Duration COOL_DOWN = Duration.ofSeconds(10);

  private final ManualClock clock = new ManualClock(Instant.parse("2026-06-01T08:00:00Z"));
  private final RecordingListener events = new RecordingListener();
  private final List<StoreTransition> transitions = new CopyOnWriteArrayList<>();
  private final FlakyStore store = new FlakyStore();
  private final MockWebServer llm = new MockWebServer();
  private final MockWebServer mcp = new MockWebServer();
  private final McpGovernanceTest.McpBackend tools = new McpGovernanceTest.McpBackend();
  private OkHttpClient client;

  /** A network store that can be taken down: reservations then throw, as a client's would. */
  private final class FlakyStore implements TokenLimitStore {
    final InMemoryTokenLimitStore counters =
        new InMemoryTokenLimitStore(clock, InMemoryTokenLimitStore.DEFAULT_SWEEP_INTERVAL);
    final AtomicInteger reserves = new AtomicInteger();
    final AtomicBoolean down = new AtomicBoolean();

    @Override
    public ReserveResult reserve(List<LimitCharge> charges) {
      reserves.incrementAndGet();
      if (down.get()) {
        throw new IllegalStateException("Unable to connect to counters.internal:6379");
      }
      return counters.reserve(charges);
    }

    @Override
    public void settle(Reservation reservation, long[] actual) {
      counters.settle(reservation, actual);
    }
  }

  @BeforeEach
  void setUp() throws IOException {
    llm.start();
    mcp.setDispatcher(tools);
    mcp.start();
    AiGateway gateway =
        AiGateway.builder()
            .clock(clock)
            .listener(
                new GatewayListener() {
                  @Override
                  public void onEvent(GatewayEvent event) {
                    events.onEvent(event);
                  }

                  @Override
                  public void onStoreTransition(StoreTransition transition) {
                    transitions.add(transition);
                  }
                })
            .consumerKey(KeyResolvers.header(CONSUMER))
            .tokenLimitStore(store)
            .storeBreaker(
                StoreBreakerPolicy.builder().failureThreshold(THRESHOLD).coolDown(COOL_DOWN))
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(100_000))
            .mcpServer(
                McpServer.builder("github", mcp.url("/mcp").toString())
                    .access(ToolAccess.denyByDefault().allowConsumer("alice", "*"))
                    .tool("get_issue", ToolPolicy.builder().callsPerMinute(1_000)))
            .build();
    client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);
  }

  @AfterEach
  void tearDown() {
    llm.close();
    mcp.close();
  }

  @Test
  void aStoreThatLlmCallsFoundFailingIsSkippedByToolCallsAndReportedOnce() throws Exception {
    store.down.set(true);
    for (int i = 0; i < THRESHOLD; i++) {
      assertThat(chat()).isEqualTo(LimitOutcome.STORE_FAILED);
    }
    assertThat(store.reserves.get()).isEqualTo(THRESHOLD);
    assertThat(transitions).extracting(StoreTransition::to).containsExactly(StoreState.FAILING);

    assertThat(toolCall(1)).isEqualTo(LimitOutcome.STORE_FAILED);

    assertThat(store.reserves.get())
        .as("the tool call skipped the failing store")
        .isEqualTo(THRESHOLD);
    assertThat(transitions).hasSize(1);
    assertThat(tools.calls.get()).as("failing open, the tool call was sent").isEqualTo(1);
  }

  @Test
  void aStoreThatToolCallsFoundFailingIsSkippedByLlmCallsAndOneProbeHealsBoth() throws Exception {
    store.down.set(true);
    for (int i = 0; i < THRESHOLD; i++) {
      assertThat(toolCall(i + 1)).isEqualTo(LimitOutcome.STORE_FAILED);
    }
    assertThat(chat()).isEqualTo(LimitOutcome.STORE_FAILED);
    assertThat(store.reserves.get())
        .as("the LLM call skipped the failing store")
        .isEqualTo(THRESHOLD);

    store.down.set(false);
    clock.advance(COOL_DOWN);
    assertThat(chat()).as("the probe").isEqualTo(LimitOutcome.SETTLED);
    assertThat(toolCall(THRESHOLD + 1)).isEqualTo(LimitOutcome.SETTLED);

    assertThat(transitions)
        .extracting(StoreTransition::to)
        .containsExactly(StoreState.FAILING, StoreState.PROBING, StoreState.HEALTHY);
    assertThat(store.reserves.get()).isEqualTo(THRESHOLD + 2);
  }

  /** One LLM chat call; returns its event's limit outcome. */
  private LimitOutcome chat() throws Exception {
    llm.enqueue(json(chatCompletion("gpt-4o", 8, 4)));
    Request request =
        post(
            llm.url("/v1/chat/completions").toString(),
            chatRequest("gpt-4o", "Hello there", "\"max_tokens\":16"),
            CONSUMER,
            "alice");
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
      response.body().string();
    }
    return events.next().limits().outcome();
  }

  /** One MCP tool call; returns its event's limit outcome. */
  private LimitOutcome toolCall(int id) throws Exception {
    Request request =
        new Request.Builder()
            .url(mcp.url("/mcp"))
            .header(CONSUMER, "alice")
            .header("Accept", "application/json, text/event-stream")
            .post(
                RequestBody.create(
                    "{\"jsonrpc\":\"2.0\",\"id\":"
                        + id
                        + ",\"method\":\"tools/call\",\"params\":{\"name\":\"get_issue\","
                        + "\"arguments\":{}}}",
                    JSON_TYPE))
            .build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.body().string()).contains("\"result\"");
    }
    return events.next().limits().outcome();
  }
}
