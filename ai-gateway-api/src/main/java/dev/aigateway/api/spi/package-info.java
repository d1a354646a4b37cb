/**
 * Service-provider interfaces: {@link dev.aigateway.api.spi.TokenLimitStore} moves the counters of
 * token and request limits out of the JVM (for example into Redis), {@link
 * dev.aigateway.api.spi.ResponseCacheStore} and {@link dev.aigateway.api.spi.VectorStore} do the
 * same for the response cache, {@link dev.aigateway.api.spi.CredentialProvider} supplies backend
 * credentials, {@link dev.aigateway.api.spi.LedgerSink} persists usage-ledger rows, {@link
 * dev.aigateway.api.spi.BackendHealthChannel} carries backend health ({@link
 * dev.aigateway.api.spi.HealthSignal}) between the instances of an application. Each interface
 * states what it guarantees; the defaults in {@code ai-gateway-core} are the reference behaviour,
 * and the suites of {@code ai-gateway-store-tck} check any store against it.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.api.spi;

import org.jspecify.annotations.NullMarked;
