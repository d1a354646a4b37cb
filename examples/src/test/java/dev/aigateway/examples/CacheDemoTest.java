package dev.aigateway.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.cache.SemanticCache;
import dev.aigateway.embeddings.onnx.MiniLmEmbeddingModel;
import dev.aigateway.examples.server.LocalOpenAiServer;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

class CacheDemoTest {

  @Test
  void showsAnExactHitASemanticHitAndGuardedNearMisses() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    CacheDemo.Summary summary =
        CacheDemo.run(new PrintStream(printed, true, StandardCharsets.UTF_8));

    assertThat(summary.outcomes())
        .containsExactly(
            CacheOutcome.MISS,
            CacheOutcome.EXACT_HIT,
            CacheOutcome.EXACT_HIT,
            CacheOutcome.SEMANTIC_HIT,
            CacheOutcome.MISS,
            CacheOutcome.GUARDED_MISS,
            CacheOutcome.MISS,
            CacheOutcome.GUARDED_MISS);
    assertThat(summary.backendCalls()).isEqualTo(5);
    assertThat(summary.tokensSaved()).isPositive();
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("semantic_hit")
        .contains("the cache saved " + summary.tokensSaved() + " tokens");
  }

  @Test
  void theInProcessModelIsCalledOnTheCallingThreadSoTheCachesTimeoutNeverCutsItShort()
      throws Exception {
    MiniLmEmbeddingModel model = MiniLmEmbeddingModel.create().load();
    List<GatewayEvent> events = new CopyOnWriteArrayList<>();
    AiGateway gateway =
        AiGateway.builder()
            .responseCache(
                ResponseCache.builder()
                    .timeout(Duration.ofNanos(1)) // no hand-off could answer within it
                    .semantic(SemanticCache.builder(model)))
            .listener(events::add)
            .build();
    OkHttpClient client = OkHttpAiGateway.wrap(new OkHttpClient(), gateway);

    try (LocalOpenAiServer server = LocalOpenAiServer.builder().start()) {
      for (CacheDemo.Step step :
          List.of(CacheDemo.STEPS.get(0), CacheDemo.STEPS.get(3))) { // asked, then reworded
        try (Response response = client.newCall(CacheDemo.request(server, step)).execute()) {
          response.body().string();
        }
      }
      assertThat(server.requestCount()).isEqualTo(1);
    }

    assertThat(events).hasSize(2);
    assertThat(events.get(0).cache().outcome()).isEqualTo(CacheOutcome.MISS);
    assertThat(events.get(0).cache().failure()).isNull();
    assertThat(events.get(1).cache().outcome()).isEqualTo(CacheOutcome.SEMANTIC_HIT);
    assertThat(model.callTimeout()).isEqualTo(Duration.ZERO);
  }
}
