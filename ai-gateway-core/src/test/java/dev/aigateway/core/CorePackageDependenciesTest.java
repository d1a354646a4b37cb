package dev.aigateway.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of the core's packages, checked on their compiled classes (docs/design.md, "Package
 * dependencies"): from the bottom, {@code core.tokens}, {@code core.wire} (their own tests), {@code
 * core.pipeline} (the stage contract and what stages answer with), the stages and the translators,
 * {@code core.adapter} (the orchestrator and the attempt loop), and {@code core} ({@code
 * AiGateway}, which assembles them).
 */
class CorePackageDependenciesTest {

  private static CorePackageGraph graph;

  @BeforeAll
  static void read() {
    graph = CorePackageGraph.read();
    assertThat(graph.classesOf("dev.aigateway.core.adapter"))
        .as("compiled classes of core.adapter")
        .contains("GovernedCall.class", "AttemptLoop.class");
  }

  @Test
  void onlyTheGatewayNamesTheAdapterProtocol() {
    // What a stage answers with (an admission, a rejection, an attempt's plan, an answer's
    // translation) is the pipeline's: the stages, the translators and the pipeline itself sit
    // below the orchestrator that drives them.
    assertThat(graph.usesOf("dev.aigateway.core.adapter", Set.of("dev.aigateway.core")))
        .as("classes of the core's packages below it naming core.adapter")
        .isEmpty();
  }

  @Test
  void theTranslatorsNameNeitherTheRoutingNorAStage() {
    // A translator takes what it needs of the backend as values (flavour, base URL, API version),
    // as a wire format does (WireFormat.backendUrl): the routing picks and drives translators.
    assertThat(
            graph.usesOutside(
                "dev.aigateway.core.translate",
                Set.of(
                    "dev.aigateway.core.tokens",
                    "dev.aigateway.core.wire",
                    "dev.aigateway.core.pipeline")))
        .as("core.translate classes naming a core package but tokens, wire and pipeline")
        .isEmpty();
  }

  @Test
  void noPackageBelowTheGatewayNamesIt() {
    // A call reads the gateway's configuration through its exchange (CallSettings), the inventory
    // reads it from the parts the gateway hands it (InventorySource): the pipeline, the stages, the
    // orchestrator, the agents' governance and the inventory never name AiGateway.
    assertThat(graph.usesOf("dev.aigateway.core", Set.of()))
        .as("classes of the core's other packages naming the core package itself")
        .isEmpty();
  }

  @Test
  void theInventoryNamesNeitherTheGatewayNorTheAgents() {
    // The agents' governance contributes its inventory sections, so it sits above the inventory.
    assertThat(graph.packagesNamedBy("dev.aigateway.core.inventory"))
        .as("core packages core.inventory names")
        .doesNotContain("dev.aigateway.core", "dev.aigateway.core.agent");
  }

  @Test
  void noPackagesDependOnOneAnother() {
    // The gateway hands its inventory the parts it reads (AiGateway.inventory()), and the agents'
    // governance, which the gateway builds, contributes its sections: the packages form layers.
    assertThat(graph.cycles())
        .as("groups of the core's packages that depend on one another")
        .isEmpty();
  }
}
