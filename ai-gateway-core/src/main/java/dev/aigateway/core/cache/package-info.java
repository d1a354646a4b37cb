/**
 * The response cache's parts an application may pick or configure: the default stores
 * ({@link dev.aigateway.core.cache.InMemoryResponseCacheStore} for answers,
 * {@link dev.aigateway.core.cache.InMemoryVectorStore} for prompt vectors) and the semantic
 * cache's default false-hit guard ({@link dev.aigateway.core.cache.FalseHitGuard}). The cache
 * itself is configured with {@link dev.aigateway.core.ResponseCache} and
 * {@link dev.aigateway.core.SemanticCache}.
 */
package dev.aigateway.core.cache;
