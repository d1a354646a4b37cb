package dev.aigateway.spring;

import dev.aigateway.core.AiGateway;

/**
 * Adjusts the auto-configured gateway's builder after the {@code ai-gateway.*} properties were
 * applied and before it is built: for what properties cannot say (a custom consumer key, a price
 * table, a semantic cache, a traffic split). Every bean of this type is applied, in {@code @Order}.
 *
 * <pre>{@code
 * @Bean
 * AiGatewayBuilderCustomizer prices() {
 *   return builder -> builder.priceTable(
 *       PriceTable.builder().model("gpt-4o-mini", Price.perMillion("0.15", "0.60")));
 * }
 * }</pre>
 */
@FunctionalInterface
public interface AiGatewayBuilderCustomizer {

  /** Adjusts {@code builder}; called once, on the thread that creates the gateway bean. */
  void customize(AiGateway.Builder builder);
}
