package dev.aigateway.spring;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import dev.aigateway.api.spi.CredentialProvider;
import dev.aigateway.azure.identity.EntraIdCredentials;

/**
 * Entra ID backend credentials from properties, over {@code ai-gateway-azure-identity}. Loaded only
 * when that module is on the class path.
 */
final class EntraIdCredentialsFactory implements OptionalModules.EntraIdSupport {

  @Override
  public CredentialProvider credential(SecurityProperties.EntraId settings, String path) {
    String clientId = settings.getClientId();
    TokenCredential credential =
        switch (settings.getCredential()) {
          case MANAGED_IDENTITY -> {
            ManagedIdentityCredentialBuilder builder = new ManagedIdentityCredentialBuilder();
            if (clientId != null) {
              builder.clientId(clientId);
            }
            yield builder.build();
          }
          case DEFAULT -> {
            if (clientId != null) {
              throw new InvalidGatewayPropertyException(
                  path + ".client-id",
                  "names a user-assigned managed identity; it goes with credential:"
                      + " managed-identity, not default",
                  null);
            }
            yield new DefaultAzureCredentialBuilder().build();
          }
        };
    EntraIdCredentials.Builder builder = EntraIdCredentials.builder(credential);
    String scope = settings.getScope();
    if (scope != null) {
      GatewayPropertiesMapper.check(path + ".scope", () -> builder.scope(scope));
    }
    return builder.build();
  }
}
