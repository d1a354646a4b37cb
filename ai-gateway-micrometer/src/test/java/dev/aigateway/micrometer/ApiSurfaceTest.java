package dev.aigateway.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.testing.ApiSurface;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * The Micrometer module's public signatures name Micrometer's types (its point), the JDK's and the
 * library's API only; its package states its nullness ({@code docs/design.md}).
 */
class ApiSurfaceTest {

  private static final ApiSurface METRICS = ApiSurface.of(GenAiMetrics.class);

  @Test
  void itsPackageStatesItsNullnessAndNamesOnlyMicrometerTheJdkAndTheLibrarysApi() {
    assertThat(METRICS.packages()).containsExactly("dev.aigateway.micrometer");
    assertThat(
            METRICS.departures(
                NullMarked.class,
                ApiSurface.startingWith("java.", "io.micrometer.").or(ApiSurface.libraryApi())))
        .isEmpty();
  }
}
