/**
 * Shared gateway state on Redis, so every instance of an application enforces one set of limits,
 * shares one cache and one view of backend health: the stores here implement the SPIs of {@code
 * dev.aigateway.api.spi} over a Lettuce connection. See {@code docs/scale-out.md}.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.redis;

import org.jspecify.annotations.NullMarked;
