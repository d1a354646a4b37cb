package dev.aigateway.spring;

import org.jspecify.annotations.Nullable;

/**
 * An {@code ai-gateway.*} property whose value the gateway cannot be built with. Its message names
 * the property and says what is wrong; a property holding a secret (a backend's {@code api-key}) is
 * never printed.
 */
public final class InvalidGatewayPropertyException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final String property;

  /**
   * An exception for {@code property} (its full name, for example {@code
   * ai-gateway.limits[0].tokens-per-minute}).
   *
   * @param property the full name of the bad property
   * @param problem what is wrong with it and what would be right
   * @param cause the core builder's exception, if one was thrown
   */
  public InvalidGatewayPropertyException(
      String property, String problem, @Nullable Throwable cause) {
    super(property + ": " + problem, cause);
    this.property = property;
  }

  /** The full name of the bad property, for example {@code ai-gateway.pool.backends[1].url}. */
  public String property() {
    return property;
  }
}
