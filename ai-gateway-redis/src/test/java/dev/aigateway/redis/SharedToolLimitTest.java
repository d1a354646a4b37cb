package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.agent.AgentGovernance;
import dev.aigateway.core.agent.McpServer;
import dev.aigateway.core.agent.ToolPolicy;
import dev.aigateway.okhttp.OkHttpAiGateway;
import dev.aigateway.testing.RedisServer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * An MCP tool's calls-per-minute limit kept in Redis: two gateway instances, each with its own
 * connection and store, admit no more calls of the tool together than the limit holds.
 */
class SharedToolLimitTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void twoGatewaysShareAToolsCallsPerMinuteThroughRedis() throws Exception {
    try (RedisServer redis = RedisServer.start();
        MockWebServer mcp = new MockWebServer();
        RedisConnection first = connection(redis);
        RedisConnection second = connection(redis);
        RedisTokenLimitStore firstStore = RedisTokenLimitStore.builder(first).build();
        RedisTokenLimitStore secondStore = RedisTokenLimitStore.builder(second).build()) {
      mcp.setDispatcher(
          new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
              return new MockResponse.Builder()
                  .addHeader("Content-Type", "application/json")
                  .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[]}}")
                  .build();
            }
          });
      mcp.start();
      for (RedisTokenLimitStore store : List.of(firstStore, secondStore)) {
        // The first command of a connection loads the scripts: not within a call's store timeout.
        LimitSpec warmUp = LimitSpec.inFlight("warm-up", 1);
        store.settle(
            store.reserve(List.of(new LimitCharge(warmUp, "-", 1))).reservation(), new long[1]);
        // applied now, before the other store takes the same slot (a lone settlement is sent
        // within 2 ms otherwise)
        assertThat(store.flush(Duration.ofSeconds(5))).isTrue();
      }
      McpServer.Builder server =
          McpServer.builder("github", mcp.url("/mcp").toString())
              .tool("create_issue", ToolPolicy.builder().callsPerMinute(3));
      List<OkHttpClient> gateways =
          List.of(client(firstStore, server), client(secondStore, server));

      List<Integer> codes = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        codes.add(call(gateways.get(i % 2), mcp));
      }

      assertThat(codes.stream().filter(code -> code == 0)).hasSize(3);
      assertThat(codes.stream().filter(code -> code == AgentGovernance.LIMITED_CODE)).hasSize(3);
      assertThat(mcp.getRequestCount()).isEqualTo(3);
    }
  }

  private static RedisConnection connection(RedisServer redis) {
    // Generous: a store failure would admit the call (fail open), read here as over-admission.
    return RedisConnection.builder().uri(redis.uri()).commandTimeout(Duration.ofSeconds(5)).build();
  }

  private static OkHttpClient client(RedisTokenLimitStore store, McpServer.Builder server) {
    return OkHttpAiGateway.wrap(
        new OkHttpClient(),
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .tokenLimitStore(store)
            .storeTimeout(Duration.ofSeconds(5))
            .mcpServer(server)
            .build());
  }

  /** One tools/call; 0 for a result, else the JSON-RPC error code. */
  private static int call(OkHttpClient client, MockWebServer mcp) throws IOException {
    String body =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
            + "\"params\":{\"name\":\"create_issue\",\"arguments\":{\"title\":\"t\"}}}";
    Request request =
        new Request.Builder()
            .url(mcp.url("/mcp"))
            .header("x-consumer-id", "alice")
            .post(RequestBody.create(body, MediaType.get("application/json")))
            .build();
    try (Response response = client.newCall(request).execute()) {
      var answer = JSON.readTree(response.body().string());
      return answer.has("error") ? answer.path("error").path("code").asInt() : 0;
    }
  }
}
