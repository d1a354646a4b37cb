package dev.aigateway.core.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.CorePackageGraph;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code core.tokens} is the bottom of the core: the wire formats, the stages and the translators
 * count with it, and its compiled classes name no other package of the core (docs/design.md,
 * "Package dependencies"). A request's prompt is found by the wire formats ({@code
 * core.wire.PromptTokens}, public as {@code core.Prompts}), so that {@code core.tokens} and {@code
 * core.wire} do not depend on each other.
 */
class TokensPackageDependenciesTest {

  @Test
  void theTokensPackageDependsOnNoOtherCorePackage() {
    CorePackageGraph graph = CorePackageGraph.read();
    assertThat(graph.classesOf("dev.aigateway.core.tokens"))
        .as("compiled classes of core.tokens")
        .contains("TokenCounter.class", "TokenEncoding.class", "TokenCounts.class");

    assertThat(graph.usesOutside("dev.aigateway.core.tokens", Set.of()))
        .as("core.tokens classes naming another core package")
        .isEmpty();
  }
}
