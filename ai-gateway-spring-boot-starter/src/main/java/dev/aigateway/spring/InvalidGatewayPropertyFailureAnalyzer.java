package dev.aigateway.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a startup failure on a bad {@code ai-gateway.*} property into Spring Boot's "APPLICATION
 * FAILED TO START" report: which property, what is wrong, and where it is documented.
 */
final class InvalidGatewayPropertyFailureAnalyzer
    extends AbstractFailureAnalyzer<InvalidGatewayPropertyException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, InvalidGatewayPropertyException cause) {
    return new FailureAnalysis(
        "The AI gateway could not be built from its properties.\n\n    " + cause.getMessage(),
        "Correct the property '"
            + cause.property()
            + "' (the ai-gateway.* properties are described in the IDE's configuration metadata"
            + " and in docs/integrations.md, \"Spring Boot and Spring AI\").",
        cause);
  }
}
