package dev.aigateway.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.testing.ApiSurface;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * This module's public signatures name the JDK's types, OkHttp's, the library's API and the AWS
 * SDK's (the AWS SDK credentials it adapts) only: never a type of the core's internal packages, nor
 * of Jackson, Caffeine or another library it uses inside; its package states its nullness ({@code
 * docs/design.md}).
 */
class ApiSurfaceTest {

  @Test
  void itsPackageStatesItsNullnessAndNamesOnlyWhatItsPointIs() {
    ApiSurface surface = ApiSurface.of(AwsSdkCredentials.class);

    assertThat(surface.packages()).containsExactly("dev.aigateway.aws");
    assertThat(
            surface.departures(
                NullMarked.class,
                ApiSurface.startingWith("java.", "okhttp3.", "software.amazon.")
                    .or(ApiSurface.libraryApi())))
        .isEmpty();
  }
}
