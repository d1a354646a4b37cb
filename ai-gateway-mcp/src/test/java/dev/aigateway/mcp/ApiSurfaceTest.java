package dev.aigateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.testing.ApiSurface;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * This module's public signatures name the JDK's types, OkHttp's, the library's API and the MCP
 * Java SDK's (the MCP Java SDK transport it governs) only: never a type of the core's internal
 * packages, nor of Jackson, Caffeine or another library it uses inside; its package states its
 * nullness ({@code docs/design.md}).
 */
class ApiSurfaceTest {

  @Test
  void itsPackageStatesItsNullnessAndNamesOnlyWhatItsPointIs() {
    ApiSurface surface = ApiSurface.of(GovernedMcp.class);

    assertThat(surface.packages()).containsExactly("dev.aigateway.mcp");
    assertThat(
            surface.departures(
                NullMarked.class,
                ApiSurface.startingWith("java.", "okhttp3.", "io.modelcontextprotocol.")
                    .or(ApiSurface.libraryApi())))
        .isEmpty();
  }
}
