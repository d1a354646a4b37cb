/**
 * The OkHttp adapter: {@link dev.aigateway.okhttp.OkHttpAiGateway#wrap} governs the LLM calls of an
 * {@code OkHttpClient} with an {@link dev.aigateway.core.AiGateway}, and {@link
 * dev.aigateway.okhttp.OkHttpEmbeddingModel} computes the semantic cache's embeddings with an
 * OpenAI-compatible embeddings endpoint over OkHttp.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.okhttp;

import org.jspecify.annotations.NullMarked;
