/**
 * Service-provider interfaces: {@link dev.aigateway.api.spi.TokenLimitStore} moves the token
 * counters out of the JVM (for example into Redis), {@link dev.aigateway.api.spi.CredentialProvider}
 * supplies backend credentials, {@link dev.aigateway.api.spi.LedgerSink} persists usage-ledger
 * rows. Each interface states what it guarantees; the defaults in {@code ai-gateway-core} are the
 * reference behaviour.
 */
package dev.aigateway.api.spi;
