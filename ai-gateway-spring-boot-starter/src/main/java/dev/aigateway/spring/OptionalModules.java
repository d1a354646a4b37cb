package dev.aigateway.spring;

import dev.aigateway.api.CallerResolver;
import dev.aigateway.api.spi.CredentialProvider;
import dev.aigateway.core.aws.AwsCredentialsProvider;
import org.jspecify.annotations.Nullable;

/**
 * What the optional modules add to the properties, each present only when its module is on the
 * class path (the auto-configuration's {@code @ConditionalOnClass} beans): Entra ID backend
 * credentials ({@code ai-gateway-azure-identity}), the JWT caller resolver ({@code ai-gateway-jwt})
 * and the AWS SDK's credentials for bedrock backends ({@code ai-gateway-aws}). The mapper never
 * names a class of these modules, so the starter loads without them.
 */
record OptionalModules(
    @Nullable EntraIdSupport entraId, @Nullable JwtSupport jwt, @Nullable AwsSupport aws) {

  /** No module. */
  static final OptionalModules NONE = new OptionalModules(null, null, null);

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

  /** The AWS SDK's credentials for bedrock backends. */
  interface AwsSupport {
    /** The AWS SDK's default credential chain, read when each request is signed. */
    AwsCredentialsProvider defaultChain();
  }
}
