package dev.aigateway.spring;

import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.UnboundElementsSourceFilter;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.PropertySourceOrigin;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;

/**
 * Logs a warning at startup naming each {@code ai-gateway.*} key that no property binds (a
 * misspelled key, which would otherwise be ignored without a word), with where it was set. Keys
 * from environment variables and system properties are left out: an application may use {@code
 * AI_GATEWAY_*} variables for its own purposes, and a module may read a system property of its own
 * under {@code ai-gateway.}. Values are never shown.
 */
final class UnknownPropertiesWarning implements SmartInitializingSingleton, EnvironmentAware {

  private static final Logger LOG = LoggerFactory.getLogger(AiGatewayAutoConfiguration.class);

  private @Nullable Environment environment;

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public void afterSingletonsInstantiated() {
    Environment env = environment;
    if (env == null) {
      return;
    }
    Set<String> unknown = unknownKeys(Binder.get(env));
    if (!unknown.isEmpty()) {
      LOG.warn(
          "Unknown ai-gateway properties, ignored (misspelled?): {}; see the starter's"
              + " configuration metadata for the keys it reads",
          String.join(", ", unknown));
    }
  }

  /** The keys under {@code ai-gateway.} that no property binds, each with where it was set. */
  static Set<String> unknownKeys(Binder binder) {
    Set<String> unknown = new TreeSet<>();
    try {
      binder.bind(
          AiGatewayProperties.PREFIX,
          Bindable.of(AiGatewayProperties.class),
          new NoUnboundElementsBindHandler(BindHandler.DEFAULT, new UnboundElementsSourceFilter()));
    } catch (BindException e) {
      if (e.getCause() instanceof UnboundConfigurationPropertiesException unbound) {
        for (ConfigurationProperty property : unbound.getUnboundProperties()) {
          Origin origin = property.getOrigin();
          unknown.add(
              property.getName()
                  + (origin instanceof PropertySourceOrigin source
                      ? " (property source " + source.getPropertySource().getName() + ")"
                      : origin == null ? "" : " (" + origin + ")"));
        }
      }
      // Another binding failure is the properties bean's to report: it fails startup itself.
    }
    return unknown;
  }
}
