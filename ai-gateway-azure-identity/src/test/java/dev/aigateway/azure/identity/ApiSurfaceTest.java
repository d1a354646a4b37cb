package dev.aigateway.azure.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.testing.ApiSurface;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * This module's public signatures name the JDK's types, OkHttp's, the library's API and Azure
 * Identity's (the Azure Identity credentials it adapts) only: never a type of the core's internal
 * packages, nor of Jackson, Caffeine or another library it uses inside; its package states its
 * nullness ({@code docs/design.md}).
 */
class ApiSurfaceTest {

  @Test
  void itsPackageStatesItsNullnessAndNamesOnlyWhatItsPointIs() {
    ApiSurface surface = ApiSurface.of(EntraIdCredentials.class);

    assertThat(surface.packages()).containsExactly("dev.aigateway.azure.identity");
    assertThat(
            surface.departures(
                NullMarked.class,
                ApiSurface.startingWith("java.", "okhttp3.", "com.azure.")
                    .or(ApiSurface.libraryApi())))
        .isEmpty();
  }
}
