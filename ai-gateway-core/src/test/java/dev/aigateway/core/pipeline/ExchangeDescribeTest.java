package dev.aigateway.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallMatch;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Operation;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.adapter.PostedRequest;
import dev.aigateway.core.wire.OpenAiRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stages describe their parts of a call's event in pipeline order, each once. */
class ExchangeDescribeTest {

  @Test
  void everyStageDescribesOnceInPipelineOrder() {
    AiGateway gateway = AiGateway.builder().listener(event -> {}).build();
    Exchange exchange = exchange(gateway);
    List<String> described = new ArrayList<>();
    GatewayEvent.Builder builder = GatewayEvent.builder();
    exchange.stages(
        new CallStage[] {
          stage("outer", described), stage("middle", described), stage("inner", described)
        },
        new int[] {CallStage.ALL_PHASES, CallStage.ALL_PHASES, CallStage.ALL_PHASES});

    exchange.describeStages(builder);

    assertThat(described).containsExactly("outer", "middle", "inner");
  }

  /** An exchange of a small chat call of {@code gateway}. */
  static Exchange exchange(AiGateway gateway) {
    return new Exchange(
        gateway.callSettings(),
        new OpenAiRequest(
            new CallMatch(Operation.CHAT_COMPLETIONS, null),
            PostedRequest.of(
                "https://api.example.com/v1/chat/completions",
                "{\"model\":\"gpt-4o\",\"messages\":[]}"),
            AiGateway.DEFAULT_MAX_PARSED_BODY_BYTES),
        7,
        Instant.EPOCH,
        System.nanoTime());
  }

  /** A stage that only describes: it adds {@code name} to {@code described}. */
  static CallStage stage(String name, List<String> described) {
    return new CallStage() {
      @Override
      public Admission admit() {
        return null;
      }

      @Override
      public void describe(GatewayEvent.Builder event) {
        described.add(name);
      }
    };
  }
}
