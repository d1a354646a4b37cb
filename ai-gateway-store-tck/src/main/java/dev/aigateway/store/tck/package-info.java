/**
 * The technology compatibility kit of the gateway's stores: one JUnit Jupiter suite per store SPI
 * of {@code dev.aigateway.api.spi}, which every implementation's tests extend.
 *
 * <ul>
 *   <li>{@link dev.aigateway.store.tck.TokenLimitStoreContract} for a {@link
 *       dev.aigateway.api.spi.TokenLimitStore};
 *   <li>{@link dev.aigateway.store.tck.ResponseCacheStoreContract} for a {@link
 *       dev.aigateway.api.spi.ResponseCacheStore};
 *   <li>{@link dev.aigateway.store.tck.VectorStoreContract} for a {@link
 *       dev.aigateway.api.spi.VectorStore};
 *   <li>{@link dev.aigateway.store.tck.BackendHealthChannelContract} for a {@link
 *       dev.aigateway.api.spi.BackendHealthChannel} (its hooks: {@code newChannel()}, and {@code
 *       awaitSubscribed(..)} for a channel that subscribes in the background).
 * </ul>
 *
 * <p>Add {@code dev.aigateway:ai-gateway-store-tck} with test scope (it brings JUnit Jupiter and
 * AssertJ), extend a suite in a test class, and implement its two hooks: {@code newStore(..)}, a
 * fresh and empty store, and {@code time()}, a {@link dev.aigateway.store.tck.TimeControl} that
 * moves the store's time, or {@link dev.aigateway.store.tck.TimeControl#NONE} when the store's time
 * comes from elsewhere (tests marked {@link dev.aigateway.store.tck.NeedsTimeControl} are then
 * skipped). Run the class like any other test; a store's own tests may sit beside the inherited
 * ones.
 *
 * <p>Parameters, results and fields are non-null unless marked {@code @Nullable}; the suites'
 * {@code store} field holds the store from each test's set-up on.
 */
@NullMarked
package dev.aigateway.store.tck;

import org.jspecify.annotations.NullMarked;
