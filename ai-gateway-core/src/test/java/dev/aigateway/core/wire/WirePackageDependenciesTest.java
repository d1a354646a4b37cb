package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.CorePackageGraph;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code core.wire} is read by the gateway's pipeline, stages and adapter protocol and reads none
 * of them: of the gateway's own packages its compiled classes name only their own and {@code
 * core.tokens} (docs/design.md, "Package dependencies").
 */
class WirePackageDependenciesTest {

  @Test
  void theWirePackageDependsOnNoOtherCorePackageButTokens() {
    CorePackageGraph graph = CorePackageGraph.read();
    assertThat(graph.classesOf("dev.aigateway.core.wire"))
        .as("compiled classes of core.wire")
        .hasSizeGreaterThan(50);

    assertThat(graph.usesOutside("dev.aigateway.core.wire", Set.of("dev.aigateway.core.tokens")))
        .as("core.wire classes naming another core package")
        .isEmpty();
  }
}
