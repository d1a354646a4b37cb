package dev.aigateway.spring;

import dev.aigateway.api.CallerResolver;
import dev.aigateway.api.spi.CredentialProvider;
import org.jspecify.annotations.Nullable;

/**
 * What the optional modules add to the properties, each present only when its module is on the
 * class path (the auto-configuration's {@code @ConditionalOnClass} beans): Entra ID backend
 * credentials ({@code ai-gateway-azure-identity}) and the JWT caller resolver ({@code
 * ai-gateway-jwt}). The mapper never names a class of either module, so the starter loads without
 * them.
 */
record OptionalModules(@Nullable EntraIdSupport entraId, @Nullable JwtSupport jwt) {

  /** Neither module. */
  static final OptionalModules NONE = new OptionalModules(null, null);

  /** Builds a backend's Entra ID credential from its properties. */
  interface EntraIdSupport {
    /**
     * The credential {@code settings} describe.
     *
     * @param path the settings' property path, for messages
     */
    CredentialProvider credential(SecurityProperties.EntraId settings, String path);
  }

  /** Builds the JWT caller resolver from its properties. */
  interface JwtSupport {
    /**
     * The resolver {@code settings} describe.
     *
     * @param path the settings' property path, for messages
     */
    CallerResolver callerResolver(SecurityProperties.Jwt settings, String path);
  }
}
