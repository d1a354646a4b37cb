package dev.aigateway.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.testing.ApiSurface;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * The OkHttp adapter's public signatures name OkHttp's types (its point), the JDK's and the
 * library's API, never okio's, Kotlin's or a type of the core's internal packages; its packages
 * state their nullness ({@code docs/design.md}).
 */
class ApiSurfaceTest {

  private static final ApiSurface OKHTTP = ApiSurface.of(OkHttpAiGateway.class);

  @Test
  void itsPackagesStateTheirNullnessAndNameOnlyOkHttpTheJdkAndTheLibrarysApi() {
    assertThat(OKHTTP.packages())
        .containsExactly("dev.aigateway.okhttp", "dev.aigateway.okhttp.safety");
    assertThat(
            OKHTTP.departures(
                NullMarked.class,
                ApiSurface.startingWith("java.", "okhttp3.").or(ApiSurface.libraryApi())))
        .isEmpty();
  }
}
