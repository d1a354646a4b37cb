package dev.aigateway.spring;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Masks the gateway's secrets in Actuator's {@code configprops} and {@code env} endpoints, when the
 * application has Actuator: with {@code management.endpoint.configprops.show-values} or {@code
 * management.endpoint.env.show-values} set to {@code always} (or {@code when-authorized}), Actuator
 * shows every value that no {@link SanitizingFunction} bean changes, a backend's {@code api-key}
 * and an OAuth {@code client-secret} among them. This configuration's function shows those as
 * {@code ******}, and a backend or token URL without its user information and query values, however
 * the key is spelled ({@code api-key}, {@code apiKey}, {@code AIGATEWAY_..._APIKEY}, {@code
 * AI_GATEWAY_..._API_KEY}); and the variable a secret is read from ({@code api-key:
 * ${AZURE_EAST_KEY}}), which the env endpoint lists under its own name, by its value. It is on
 * whether or not {@code ai-gateway.enabled} is, since the keys are in the environment either way.
 */
@AutoConfiguration
@ConditionalOnClass(SanitizingFunction.class)
public final class AiGatewaySanitizingAutoConfiguration {

  /** Created by Spring. */
  public AiGatewaySanitizingAutoConfiguration() {}

  /**
   * The function that masks the gateway's secrets in Actuator's endpoints, by key and, for the
   * variables they are read from, by value.
   */
  @Bean
  public SanitizingFunction aiGatewaySecretsSanitizer(
      ObjectProvider<AiGatewayProperties> properties, Environment environment) {
    return GatewaySecretsSanitizer.of(properties, environment);
  }
}
