package dev.aigateway.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.testing.ApiSurface;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * This module's public signatures name the JDK's types, OkHttp's, the library's API, Spring's
 * (Spring Boot, which it configures) and Micrometer's (the registry whose meters it binds when the
 * application has one) only: never a type of the core's internal packages, nor of Jackson, Caffeine
 * or another library it uses inside; its package states its nullness ({@code docs/design.md}).
 */
class ApiSurfaceTest {

  @Test
  void itsPackageStatesItsNullnessAndNamesOnlyWhatItsPointIs() {
    ApiSurface surface = ApiSurface.of(AiGatewayAutoConfiguration.class);

    assertThat(surface.packages()).containsExactly("dev.aigateway.spring");
    assertThat(
            surface.departures(
                NullMarked.class,
                ApiSurface.startingWith(
                        "java.", "okhttp3.", "org.springframework.", "io.micrometer.")
                    .or(ApiSurface.libraryApi())))
        .isEmpty();
  }
}
