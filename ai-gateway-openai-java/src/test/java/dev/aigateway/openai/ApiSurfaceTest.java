package dev.aigateway.openai;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.testing.ApiSurface;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * This module's public signatures name the JDK's types, OkHttp's, the library's API and
 * openai-java's (the openai-java SDK it governs) only: never a type of the core's internal
 * packages, nor of Jackson, Caffeine or another library it uses inside; its package states its
 * nullness ({@code docs/design.md}).
 */
class ApiSurfaceTest {

  @Test
  void itsPackageStatesItsNullnessAndNamesOnlyWhatItsPointIs() {
    ApiSurface surface = ApiSurface.of(GovernedOpenAi.class);

    assertThat(surface.packages()).containsExactly("dev.aigateway.openai");
    assertThat(
            surface.departures(
                NullMarked.class,
                ApiSurface.startingWith("java.", "okhttp3.", "com.openai.")
                    .or(ApiSurface.libraryApi())))
        .isEmpty();
  }
}
