/**
 * The response cache: configured with {@link dev.aigateway.core.cache.ResponseCache} and {@link
 * dev.aigateway.core.cache.SemanticCache}; the default stores ({@link
 * dev.aigateway.core.cache.InMemoryResponseCacheStore} for answers, {@link
 * dev.aigateway.core.cache.InMemoryVectorStore} for prompt vectors) and the semantic cache's
 * false-hit guards ({@link dev.aigateway.core.cache.AlignmentGuard}, the default, which asks {@link
 * dev.aigateway.core.cache.FalseHitGuard} too). The engines beside them (lookup, keys, replay) are
 * the library's own; those that are public are so for the benchmarks and may change in any release.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.core.cache;

import org.jspecify.annotations.NullMarked;
