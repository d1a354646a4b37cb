package dev.aigateway.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.testing.ApiSurface;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * This module's public signatures name the JDK's types, OkHttp's, the library's API and
 * LangChain4j's (the LangChain4j HTTP client it plugs into) only: never a type of the core's
 * internal packages, nor of Jackson, Caffeine or another library it uses inside; its package states
 * its nullness ({@code docs/design.md}).
 */
class ApiSurfaceTest {

  @Test
  void itsPackageStatesItsNullnessAndNamesOnlyWhatItsPointIs() {
    ApiSurface surface = ApiSurface.of(GovernedHttpClientBuilder.class);

    assertThat(surface.packages()).containsExactly("dev.aigateway.langchain4j");
    assertThat(
            surface.departures(
                NullMarked.class,
                ApiSurface.startingWith("java.", "okhttp3.", "dev.langchain4j.")
                    .or(ApiSurface.libraryApi())))
        .isEmpty();
  }
}
