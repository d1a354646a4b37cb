package dev.aigateway.examples.sdk;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import java.time.Duration;
import java.util.List;

/** The gateway the SDK examples that show a rate limit govern their SDK's calls with. */
final class ExampleGateway {

  private ExampleGateway() {}

  /**
   * A gateway that names each call's consumer by its {@code x-consumer-id} header, allows each
   * consumer 100 tokens an hour (so the third call of an example is refused for minutes), and adds
   * every call's event to {@code events}.
   */
  static AiGateway hundredTokensAnHour(List<GatewayEvent> events) {
    return AiGateway.builder()
        .consumerKey(KeyResolvers.header("x-consumer-id"))
        .tokenLimit(TokenLimit.perConsumer().tokensPer(100, Duration.ofHours(1)))
        .listener(events::add)
        .build();
  }
}
