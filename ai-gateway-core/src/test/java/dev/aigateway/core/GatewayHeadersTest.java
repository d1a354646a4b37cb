package dev.aigateway.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Request headers that address only the gateway, which it removes before sending a call on. */
class GatewayHeadersTest {

  @Test
  void aDeclaredGatewayHeaderIsRemovedTrimmedAndInLowerCase() {
    assertThat(AiGateway.builder().gatewayHeader(" X-Tenant ").build().gatewayHeaders())
        .contains("x-tenant");
  }

  @Test
  void aDeclaredGatewayHeaderIsRefusedWhenEveryGatewayHeaderIsForwarded() {
    // Forwarding sends every gateway-only header on: the declared one would never be removed.
    AiGateway.Builder builder =
        AiGateway.builder().gatewayHeader("x-tenant").forwardGatewayHeaders(true);

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[x-tenant]")
        .hasMessageContaining("forwardGatewayHeaders(true)");
    assertThat(builder.forwardGatewayHeaders(false).build().gatewayHeaders()).contains("x-tenant");
  }
}
