/**
 * Backend credentials from Microsoft Entra ID: {@link
 * dev.aigateway.azure.identity.EntraIdCredentials} turns any azure-identity {@code TokenCredential}
 * (managed identity, workload identity, a service principal, a developer's sign-in) into the
 * gateway's {@link dev.aigateway.api.spi.CredentialProvider}, with the core's token cache in front
 * of it.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.azure.identity;

import org.jspecify.annotations.NullMarked;
