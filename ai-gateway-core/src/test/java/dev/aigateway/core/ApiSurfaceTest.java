package dev.aigateway.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.testing.ApiSurface;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * What {@code docs/design.md} ("What is API", "Nullness") promises of the core module's public
 * signatures, checked on the compiled classes so that no change breaks it unseen.
 */
class ApiSurfaceTest {

  /**
   * The classes of API packages whose public signatures name internal types today: the gateway's
   * adapter entry points ({@code AiGateway.begin}, {@code AiGateway.callSettings}, {@code
   * AgentGovernance.begin}), the stage engines the gateway assembles from another package, and the
   * cache's lookup that a benchmark drives on its own ({@code CallCache}). No other class may join
   * them unseen.
   */
  private static final Set<String> BRIDGES =
      Set.of(
          "dev.aigateway.core.AiGateway",
          "dev.aigateway.core.access.AccessStage",
          "dev.aigateway.core.agent.AgentGovernance",
          "dev.aigateway.core.anomaly.AnomalyStage",
          "dev.aigateway.core.cache.CacheStage",
          "dev.aigateway.core.cache.CallCache",
          "dev.aigateway.core.limit.LimitStage",
          "dev.aigateway.core.routing.RouteStage",
          "dev.aigateway.core.safety.SafetyStage",
          "dev.aigateway.core.telemetry.TelemetryStage");

  /** What the bridges may name besides the API: the internal packages' types. */
  private static final Predicate<String> BRIDGED_INTERNAL =
      ApiSurface.startingWith(
          ApiSurface.INTERNAL_PACKAGES.stream().map(p -> p + ".").toArray(String[]::new));

  private static final ApiSurface CORE = ApiSurface.of(AiGateway.class);

  private static Set<String> apiPackages() {
    Set<String> api = new TreeSet<>(CORE.packages());
    api.removeAll(ApiSurface.INTERNAL_PACKAGES);
    return api;
  }

  @Test
  void theApiPackagesAreTheOnesTheDesignNames() {
    assertThat(CORE.packages()).containsAll(ApiSurface.INTERNAL_PACKAGES);
    assertThat(apiPackages())
        .containsExactly(
            "dev.aigateway.core",
            "dev.aigateway.core.access",
            "dev.aigateway.core.agent",
            "dev.aigateway.core.anomaly",
            "dev.aigateway.core.aws",
            "dev.aigateway.core.cache",
            "dev.aigateway.core.credentials",
            "dev.aigateway.core.inventory",
            "dev.aigateway.core.limit",
            "dev.aigateway.core.routing",
            "dev.aigateway.core.safety",
            "dev.aigateway.core.telemetry",
            "dev.aigateway.core.tokens");
  }

  @Test
  void apiPackagesStateTheirNullnessAndNameOnlyTheJdkSlf4jAndTheLibrarysApi() {
    // No Jackson, jtokkit, Caffeine, Lucene, Bucket4j, OkHttp, okio, Kotlin or Micrometer type.
    assertThat(
            CORE.departures(
                apiPackages(),
                NullMarked.class,
                ApiSurface.startingWith("java.", "org.slf4j.")
                    .or(ApiSurface.libraryApi())
                    .or(BRIDGED_INTERNAL)))
        .isEmpty();
  }

  @Test
  void internalTypesAppearOnlyInTheKnownBridges() {
    Set<String> leaking = new TreeSet<>();
    for (String place : CORE.signaturesNaming(apiPackages(), BRIDGED_INTERNAL)) {
      leaking.add(topLevelClass(place));
    }

    // Exactly: a class that joins fails here, and one that stops leaking must leave the list.
    assertThat(leaking).containsExactlyInAnyOrderElementsOf(BRIDGES);
  }

  /**
   * The top-level class of a place {@link ApiSurface#signaturesNaming} reports: its class's binary
   * name up to the first {@code $} (a nested class), {@code #} (a member) or {@code :}.
   */
  private static String topLevelClass(String place) {
    return place.split("[$#:]", 2)[0];
  }

  @Test
  void theSurfaceReachesParametersOfPublicMethods() {
    // Prompts.countTokens takes the request body as a String: a JDK type, found.
    List<String> strings =
        CORE.signaturesNaming(
            Set.of("dev.aigateway.core"), ApiSurface.startingWith("java.lang.String"));

    assertThat(strings).contains("dev.aigateway.core.Prompts#countTokens: takes java.lang.String");
  }
}
