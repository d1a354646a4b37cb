package dev.aigateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.testing.ApiSurface;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * The API module depends on nothing but JSpecify's annotations, so its public signatures name JDK
 * types and its own only, and both its packages state their nullness ({@code docs/design.md}).
 */
class ApiSurfaceTest {

  private static final ApiSurface API = ApiSurface.of(GatewayEvent.class);

  @Test
  void bothPackagesStateTheirNullnessAndNameOnlyTheJdkAndTheirOwnTypes() {
    assertThat(API.packages()).containsExactly("dev.aigateway.api", "dev.aigateway.api.spi");
    assertThat(
            API.departures(
                NullMarked.class, ApiSurface.startingWith("java.", "dev.aigateway.api.")))
        .isEmpty();
  }
}
