/**
 * Token limits and calendar quotas: {@link dev.aigateway.core.limit.TokenLimit} configures one,
 * {@link dev.aigateway.core.limit.InMemoryTokenLimitStore} is the default counter store (another
 * store implements {@link dev.aigateway.api.spi.TokenLimitStore}), and the limit stage reserves
 * before a call and settles after it. {@link dev.aigateway.core.limit.StoreFailurePolicy} says what
 * a call gets when the store cannot reserve for it, and {@link
 * dev.aigateway.core.limit.StoreBreakerPolicy} when the gateway stops asking a failing store.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.core.limit;

import org.jspecify.annotations.NullMarked;
